"""Write legacy .evt event logs (Windows NT4, 2000, XP, 2003).

Layout: libyal's "Windows Event Log (EVT) format". Only the insertion strings are stored:
the message text lives in the source's message DLL, so an .evt record carries the
source name, the computer name, the 32-bit event identifier, the strings, the user SID
and raw data.

A wrapped log is a ring: the oldest surviving records run to the end of the file, the
record written when the log wrapped is split (its head ends the file, its tail follows
the header), then come the newer records, the end of file record, and leftover space
up to the oldest record. The header and the end of file record point at the oldest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.synth.binxml import sid_bytes
from pipeline.synth.evt_layout import (
    EOF_MARKERS,
    EOF_RECORD,
    FILE_HEADER,
    FILE_SIZE_GRANULE,
    FLAG_DIRTY,
    FLAG_WRAPPED,
    RECORD_FIXED,
    RECORD_TRAILER,
    SIGNATURE,
)
from pipeline.synth.model import Record, filetime_to_unix_us


@dataclass(frozen=True)
class EvtStats:
    records: int
    size: int
    wrapped: bool


def _utf16z(text: str) -> bytes:
    return text.encode("utf-16-le") + b"\x00\x00"


def evt_strings(record: Record) -> list[str]:
    """The insertion strings of a record, as an .evt stores them."""
    return ["" if v is None else str(v) for v in record.data_values]


def encode_record(record: Record) -> bytes:
    """One EVENTLOGRECORD for `record` (its `record_id` is the record number)."""
    kind = record.kind
    head = _utf16z(kind.provider) + _utf16z(record.computer)
    head += bytes(-(RECORD_FIXED.size + len(head)) % 4)
    sid = sid_bytes(record.user_sid) if record.user_sid else b""
    strings = evt_strings(record)
    blob = b"".join(_utf16z(s) for s in strings)
    data = record.raw_data or b""
    sid_offset = RECORD_FIXED.size + len(head)
    strings_offset = sid_offset + len(sid)
    data_offset = strings_offset + len(blob)
    end = data_offset + len(data)
    if not strings and not data:
        end += 4  # libevt wants bytes between a trailing SID and the size copy
    size = end + (-end % 4) + RECORD_TRAILER.size
    seconds = filetime_to_unix_us(record.time) // 1_000_000
    fixed = RECORD_FIXED.pack(
        size,
        SIGNATURE,
        record.record_id,
        seconds,
        seconds,
        kind.event_identifier,
        kind.eventlog_type,
        len(strings),
        kind.task,
        0,
        0,
        strings_offset,
        len(sid),
        sid_offset,
        len(data),
        data_offset,
    )
    body = fixed + head + sid + blob + data
    return body + bytes(size - RECORD_TRAILER.size - len(body)) + RECORD_TRAILER.pack(size)


def _eof(first_offset: int, eof_offset: int, next_number: int, first_number: int) -> bytes:
    return EOF_RECORD.pack(
        EOF_RECORD.size,
        *EOF_MARKERS,
        first_offset,
        eof_offset,
        next_number,
        first_number,
        EOF_RECORD.size,
    )


def _header(
    first_offset: int, eof_offset: int, next_number: int, first_number: int, size: int, flags: int
) -> bytes:
    return FILE_HEADER.pack(
        FILE_HEADER.size,
        SIGNATURE,
        1,
        1,
        first_offset,
        eof_offset,
        next_number,
        first_number,
        size,
        flags,
        0,
        FILE_HEADER.size,
    )


def build_evt(
    records: Sequence[Record],
    *,
    wrap_after: int | None = None,
    dirty: bool = False,
) -> bytes:
    """The bytes of an .evt log holding `records` (oldest first, consecutive numbers).

    `wrap_after`: when given (0 < wrap_after < len(records)), the log has wrapped and the
    first `wrap_after` records sit at the end of the file, after the newer ones.
    """
    encoded = [encode_record(r) for r in records]
    first_number = records[0].record_id if records else 1
    next_number = records[-1].record_id + 1 if records else 1
    flags = FLAG_DIRTY if dirty else 0
    hs = FILE_HEADER.size
    if not wrap_after:
        body = b"".join(encoded)
        eof_offset = hs + len(body)
        used = eof_offset + EOF_RECORD.size
        # A live log (dirty) is preallocated in 64 KiB steps; a saved copy is exactly its size.
        size = used + (-used % FILE_SIZE_GRANULE) if dirty else used
        out = bytearray(_header(hs, eof_offset, next_number, first_number, size, flags))
        out += body + _eof(hs, eof_offset, next_number, first_number)
        out += bytes(size - len(out))
        return bytes(out)
    # The record after the oldest ones straddles the end of the file: its first bytes
    # fill the file, the rest continues right after the header (libevt follows it there).
    oldest = b"".join(encoded[:wrap_after])
    straddler = encoded[wrap_after]
    cut = (len(straddler) // 2) & ~3
    front = straddler[cut:]
    newest = b"".join(encoded[wrap_after + 1 :])
    eof_offset = hs + len(front) + len(newest)
    used = eof_offset + EOF_RECORD.size + len(oldest) + cut
    size = used + (-used % FILE_SIZE_GRANULE)
    first_offset = size - cut - len(oldest)
    flags |= FLAG_WRAPPED
    out = bytearray(_header(first_offset, eof_offset, next_number, first_number, size, flags))
    out += front + newest + _eof(first_offset, eof_offset, next_number, first_number)
    out += bytes(first_offset - len(out))
    out += oldest + straddler[:cut]
    return bytes(out)


def write_evt(
    path: Path,
    records: Sequence[Record],
    *,
    wrap_after: int | None = None,
    dirty: bool = False,
) -> EvtStats:
    data = build_evt(records, wrap_after=wrap_after, dirty=dirty)
    path.write_bytes(data)
    return EvtStats(len(records), len(data), bool(wrap_after))
