"""The framing of a legacy `.evt` log: its header, its end-of-file record, where records sit.

Layout source: libyal's "Windows Event Log (EVT) format" document and the Windows SDK's
EVENTLOGRECORD. libevt decodes the records; this module only finds them, so that records
libevt stops short of (it ends its walk at the first damaged record) can be handed to it
again in a clean copy of the log.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

SIGNATURE: Final = b"LfLe"

# File header, 48 bytes: 0 size (0x30), 4 signature, 8 major, 12 minor, 16 oldest record
# offset, 20 end-of-file record offset, 24 next record number, 28 oldest record number,
# 32 maximum size, 36 flags, 40 retention, 44 size again.
FILE_HEADER: Final = struct.Struct("<I4sIIIIIIIIII")
HEADER_START: Final = FILE_HEADER.size.to_bytes(4, "little") + SIGNATURE  # size, then "LfLe"
FLAG_DIRTY: Final = 0x1
FLAG_WRAPPED: Final = 0x2

# EVENTLOGRECORD fixed part, 56 bytes: 0 size, 4 signature, 8 record number, ... The size
# is repeated in the record's last four bytes.
RECORD_FIXED: Final = struct.Struct("<I4sIIIIHHHHIIIIII")
SIZE: Final = struct.Struct("<I")

# End-of-file record, 40 bytes: size (0x28), four marker dwords, oldest record offset,
# end-of-file record offset, next record number, oldest record number, size again.
EOF_RECORD: Final = struct.Struct("<IIIIIIIIII")
EOF_MARKERS: Final = b"\x11\x11\x11\x11\x22\x22\x22\x22\x33\x33\x33\x33\x44\x44\x44\x44"


@dataclass(frozen=True)
class LogState:
    """What the log says about itself: the header, corrected by the end-of-file record.

    A log that was not closed (dirty) has a stale header; its end-of-file record is the
    current word on the record numbers.
    """

    dirty: bool
    header_next: int  # next record number as the header has it
    oldest: int
    next: int  # from the end-of-file record when there is one, else the header


@dataclass(frozen=True)
class Frame:
    """One well-framed record: its offset and size in the file, and its record number."""

    offset: int
    size: int
    number: int


def log_state(data: bytes) -> LogState:
    (_, _, _, _, _, _, header_next, oldest, _, flags, _, _) = FILE_HEADER.unpack_from(data, 0)
    next_number = header_next
    eof = data.find(EOF_MARKERS)
    while eof != -1:  # old end-of-file records can linger; the newest numbers win
        if eof >= 4 and eof - 4 + EOF_RECORD.size <= len(data):
            fields = EOF_RECORD.unpack_from(data, eof - 4)
            if fields[0] == fields[9] == EOF_RECORD.size and fields[7] > next_number:
                next_number, oldest = fields[7], fields[8]
        eof = data.find(EOF_MARKERS, eof + 1)
    return LogState(bool(flags & FLAG_DIRTY), header_next, oldest, next_number)


def frames(data: bytes) -> list[Frame]:
    """Every record whose signature, size and trailing size agree, in file order.

    A record split by the wrap of a ring-buffer log is not framed here; libevt reads it.
    """
    found: list[Frame] = []
    position = data.find(SIGNATURE, FILE_HEADER.size)
    while position != -1:
        offset = position - 4
        (size,) = SIZE.unpack_from(data, offset)
        end = offset + size
        fits = RECORD_FIXED.size <= size and size % 4 == 0 and end <= len(data)
        if fits and SIZE.unpack_from(data, end - 4)[0] == size:
            number = SIZE.unpack_from(data, offset + 8)[0]
            found.append(Frame(offset, size, number))
            position = data.find(SIGNATURE, end)
            continue
        position = data.find(SIGNATURE, position + 1)
    return found


def declared_data(data: bytes, frame: Frame) -> bytes | None:
    """The record's binary data, read where its DataOffset and DataLength say (offsets 52
    and 48, from the record's start); None when it has none or they point outside it."""
    fields = RECORD_FIXED.unpack_from(data, frame.offset)
    length, offset = fields[-2], fields[-1]
    if length == 0 or offset < RECORD_FIXED.size or offset + length > frame.size - SIZE.size:
        return None
    return data[frame.offset + offset : frame.offset + offset + length]


def clean_log(data: bytes, chosen: list[Frame]) -> bytes:
    """A closed, unwrapped log holding just `chosen` records, for libevt to read."""
    body = b"".join(data[f.offset : f.offset + f.size] for f in chosen)
    first = chosen[0].number if chosen else 1
    after = chosen[-1].number + 1 if chosen else 1
    start = FILE_HEADER.size
    end = start + len(body)
    total = end + EOF_RECORD.size
    header = FILE_HEADER.pack(
        FILE_HEADER.size, SIGNATURE, 1, 1, start, end, after, first, total, 0, 0, FILE_HEADER.size
    )
    eof = EOF_RECORD.pack(
        EOF_RECORD.size,
        *struct.unpack("<4I", EOF_MARKERS),
        start,
        end,
        after,
        first,
        EOF_RECORD.size,
    )
    return header + body + eof
