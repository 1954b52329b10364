"""The plain record every decoder yields, before it becomes a row of `events`.

Decoders (pipeline/decode) produce `EventRow` values; the per-file step adds
`source_format` and `file_id` and writes them as a Parquet part. Times stay as
ISO-8601 text here and are parsed in bulk (vectorised) when the batch is framed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class EventRow(NamedTuple):
    """One decoded event, in the column order of the `events` table."""

    host: str | None
    channel: str | None
    provider: str | None
    event_id: int | None  # low 16 bits of the event identifier
    qualifiers: int | None  # EventID Qualifiers / the high 16 bits of a 32-bit identifier
    level: int | None
    time_created: str | None  # UTC, 'YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z'
    record_id: int | None
    process_id: int | None
    thread_id: int | None
    user_sid: str | None
    event_data: str | None  # JSON text: an object of named values, or {"strings": [...]}


@dataclass
class DecodeStats:
    """What a decoder could and could not read from one file."""

    recovered: int = 0  # records saved by a fallback path
    skipped: int = 0  # records or chunks that no engine could read
    problems: list[str] = field(default_factory=list)  # one reason per skip, in file order

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped += count
        self.problems.append(reason)
