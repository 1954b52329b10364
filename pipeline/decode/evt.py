"""Legacy `.evt` logs (NT4 to 2003) through libevt, past the damage libevt stops at.

libevt reads the log as its header describes it (wrapped ring buffers and dirty logs
included) and, separately, records it recovers from free space. It ends its walk at the
first damaged record, so whatever well-framed records (`evt_frames.frames`) it did not
return are handed to it again in a clean copy of the log; those, the free-space records and
the records a dirty log's stale header does not cover count as `recovered`. Record numbers
the log declares (oldest to next, from its end-of-file record) that no pass found are
`skipped`.

The channel is not stored in an `.evt` file; it comes from the file name (`channel_of`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyevt

from pipeline.decode.evt_frames import (
    FILE_HEADER,
    HEADER_START,
    Frame,
    clean_log,
    declared_data,
    frames,
    log_state,
)
from pipeline.normalize.event_data import encode
from pipeline.records import DecodeStats, EventRow

# Windows' own file names for its classic logs, and the names Event Viewer saves them as.
_CHANNELS = {
    "appevent": "Application",
    "sysevent": "System",
    "secevent": "Security",
    "application": "Application",
    "system": "System",
    "security": "Security",
    "dnsevent": "DNS Server",
    "ntds": "Directory Service",
    "ntfrs": "File Replication Service",
}

# EVENTLOGRECORD event type -> the level an .evtx rendering of the same event shows.
_LEVELS = {0: 4, 1: 2, 2: 3, 4: 4, 8: 0, 16: 0}


def channel_of(path: Path) -> str:
    """The log a file holds: AppEvent.Evt is Application, SysEvent.Evt System, SecEvent.Evt
    Security, and so are files saved under the log's own name, also inside a longer name
    (`WS-01_SysEvent-copy.evt`, `WS-01_Application.evt`); any other file
    is named by its stem up to a copy's suffix (`TestLog-dirty.evt` and `TestLog (2).evt`
    are TestLog), so two copies of one log give their records one identity."""
    for token in re.split(r"[^0-9a-z]+", path.stem.lower()):
        if token in _CHANNELS:
            return _CHANNELS[token]
    return re.split(r"-| \(\d+\)$", path.stem, maxsplit=1)[0].strip() or path.stem


def read_evt(path: Path, engine: object, stats: DecodeStats) -> Iterator[EventRow]:
    """Every readable record of one `.evt` file; `engine` applies to EVTX only."""
    data = path.read_bytes()
    if len(data) < FILE_HEADER.size:
        stats.skip(f"file of {len(data)} bytes ends inside its header")
        return
    channel = channel_of(path)
    state = log_state(data)
    framed = frames(data)
    declared = {f.number: declared_data(data, f) for f in framed}
    seen: set[int] = set()
    whole = data.startswith(HEADER_START)
    if not whole:  # libevt refuses the file; every record is read from its frame
        stats.problems.append("file header damaged: records read where they are framed")
    for row, from_free_space in _libevt_rows(data, channel, declared) if whole else ():
        number = row.record_id or 0
        if number in seen:
            continue
        seen.add(number)
        if from_free_space or (state.dirty and number >= state.header_next):
            stats.recovered += 1
        yield row
    failed: set[int] = set()
    missed = [f for f in framed if f.number not in seen]
    for row in _reframed(data, missed, channel, stats, failed, declared):
        seen.add(row.record_id or 0)
        stats.recovered += 1
        yield row
    _count_missing(state.oldest, state.next, seen | failed, stats)


def _libevt_rows(
    data: bytes, channel: str, declared: Mapping[int, bytes | None]
) -> Iterator[tuple[EventRow, bool]]:
    """The log's records, then those libevt recovers from free space. A record libevt
    fails on here is tried again by `_reframed`, which accounts for it."""
    log = pyevt.file()
    log.open_file_object(io.BytesIO(data))
    try:
        for index in range(log.number_of_records):
            row = _row(log.get_record, index, channel, declared)
            if isinstance(row, EventRow):
                yield row, False
        for index in range(log.number_of_recovered_records):
            row = _row(log.get_recovered_record, index, channel, declared)
            if isinstance(row, EventRow):
                yield row, True
    finally:
        log.close()


def _reframed(
    data: bytes,
    missed: list[Frame],
    channel: str,
    stats: DecodeStats,
    failed: set[int],
    declared: Mapping[int, bytes | None],
) -> Iterator[EventRow]:
    """libevt on clean copies holding only the records it missed. It stops at the first
    record it cannot read, so each pass drops that one (counted) and goes on."""
    while missed:
        log = pyevt.file()
        log.open_file_object(io.BytesIO(clean_log(data, missed)))
        read: set[int] = set()
        problem = "libevt stops at it"
        try:
            for index in range(log.number_of_records):
                row = _row(log.get_record, index, channel, declared)
                if isinstance(row, EventRow):
                    read.add(row.record_id or 0)
                    yield row
                else:
                    problem = row
                    break
        finally:
            log.close()
        rest = [f for f in missed if f.number not in read]
        if rest:
            bad = rest[0]
            failed.add(bad.number)
            stats.skip(f"record {bad.number} at byte {bad.offset} unreadable: {problem}")
        missed = rest[1:]


def _row(
    get: Callable[[int], Any], index: int, channel: str, declared: Mapping[int, bytes | None]
) -> EventRow | str:
    """One record as a row, every field read at once (a libevt record object must not
    outlive its file); the reason when libevt cannot read it.

    The binary data is taken where the record declares it (`declared`) when the record is
    framed whole in the file: libevt reads it from where the strings end, two bytes early
    when the data is aligned on four bytes. A record split by the wrap of the log keeps
    libevt's reading."""
    try:
        record = get(index)
        identifier = record.event_identifier
        strings = [record.get_string(i) for i in range(record.number_of_strings)]
        payload: dict[str, object] = {"strings": strings}
        number = record.identifier
        binary = declared[number] if number in declared else _data(record)
        if binary:
            payload["Binary"] = binary.hex().upper()
        return EventRow(
            host=record.computer_name,
            channel=channel,
            provider=record.source_name,
            event_id=identifier & 0xFFFF,
            qualifiers=identifier >> 16,
            level=_LEVELS.get(record.event_type),
            time_created=_iso(record.get_creation_time_as_integer()),
            record_id=number,
            process_id=None,
            thread_id=None,
            user_sid=_sid(record),
            event_data=encode(payload),
        )
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return _first_line(exc)


def _data(record: Any) -> bytes | None:
    try:
        value = record.data
    except OSError:  # libevt raises for a record that carries no data
        return None
    return bytes(value) if value else None


def _sid(record: Any) -> str | None:
    try:
        return record.user_security_identifier or None
    except OSError:
        return None


def _iso(posix: int) -> str:
    return datetime.fromtimestamp(posix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _count_missing(oldest: int, next_number: int, seen: set[int], stats: DecodeStats) -> None:
    declared = range(oldest, next_number) if 0 < oldest <= next_number else range(0)
    missing = [n for n in declared if n not in seen]
    if len(missing) == 1:
        stats.skip(f"record {missing[0]}, which the log declares, was not found")
    elif missing:
        stats.skip(
            f"{len(missing)} records the log declares were not found"
            f" (numbers {missing[0]}-{missing[-1]})",
            len(missing),
        )


def _first_line(exc: BaseException) -> str:
    return str(exc).split(". ", 1)[0]
