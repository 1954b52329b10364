"""Damaged copies of good files, as collections of real logs contain them.

- truncated: an .evtx copy cut in the middle of a chunk (a copy that did not finish);
- flipped: bytes flipped inside one record (bad sector, bad transfer): that chunk's
  records CRC32 no longer matches;
- stale_header: a copy of a log taken while open: the header still counts one chunk
  less and an older next record id, and has the dirty flag (its own CRC is valid);
- evt_truncated: an .evt copy cut in the middle of a record, without its end of file record.

Each function returns the bytes and the number of records left intact.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from pipeline.synth.evt_layout import FILE_HEADER as EVT_HEADER
from pipeline.synth.evt_layout import RECORD_TRAILER as EVT_RECORD_SIZE
from pipeline.synth.evtx_layout import (
    CHUNK_SIZE,
    FILE_FLAG_DIRTY,
    FILE_HEADER,
    FILE_HEADER_BLOCK_SIZE,
    FILE_HEADER_CRC_SPAN,
)


@dataclass(frozen=True)
class Damaged:
    kind: str
    data: bytes
    records_intact: int
    detail: str


def truncated(data: bytes, spans: tuple[tuple[int, int], ...]) -> Damaged:
    chunks = (len(data) - FILE_HEADER_BLOCK_SIZE) // CHUNK_SIZE
    last_used = max(offset + size for offset, size in spans) if spans else len(data)
    middle = FILE_HEADER_BLOCK_SIZE + (chunks // 2) * CHUNK_SIZE + CHUNK_SIZE // 2
    cut = min(middle, (FILE_HEADER_BLOCK_SIZE + last_used) // 2 if chunks == 1 else middle)
    cut = min(cut, len(data) - 1)
    intact = sum(1 for offset, size in spans if offset + size <= cut)
    return Damaged("truncated", data[:cut], intact, f"cut at byte {cut} of {len(data)}")


def flipped(data: bytes, spans: tuple[tuple[int, int], ...], which: int = 2) -> Damaged:
    offset, size = spans[min(which, len(spans) - 1)]
    at = offset + size - 24  # inside the substitution values, before the size copy
    out = bytearray(data)
    for i in range(4):
        out[at + i] ^= 0xFF
    return Damaged("flipped", bytes(out), len(spans) - 1, f"4 bytes inverted at {at}")


def stale_header(data: bytes, spans: tuple[tuple[int, int], ...], first_id: int) -> Damaged:
    fields = list(FILE_HEADER.unpack_from(data, 0))
    chunks = fields[8]
    last_chunk_first = first_id + sum(
        1 for offset, _ in spans if offset < FILE_HEADER_BLOCK_SIZE + (chunks - 1) * CHUNK_SIZE
    )
    fields[2] = chunks - 2  # last chunk number
    fields[3] = last_chunk_first  # next record identifier
    fields[8] = chunks - 1  # number of chunks
    fields[9] |= FILE_FLAG_DIRTY
    header = bytearray(FILE_HEADER.pack(*fields))
    fields[10] = zlib.crc32(bytes(header[:FILE_HEADER_CRC_SPAN]))
    out = bytearray(data)
    FILE_HEADER.pack_into(out, 0, *fields)
    return Damaged(
        "stale_header", bytes(out), len(spans), f"header says {chunks - 1} of {chunks} chunks"
    )


def evt_truncated(data: bytes) -> Damaged:
    """Cut a non-wrapped .evt inside a record past the middle of its records."""
    header = EVT_HEADER.unpack_from(data, 0)
    offset, end = header[4], header[5]  # first record, end of file record
    sizes: list[tuple[int, int]] = []
    while offset < end:
        (size,) = EVT_RECORD_SIZE.unpack_from(data, offset)
        sizes.append((offset, size))
        offset += size
    at, size = sizes[len(sizes) * 2 // 3]
    cut = at + size // 2
    intact = sum(1 for o, s in sizes if o + s <= cut)
    return Damaged("evt_truncated", data[:cut], intact, f"cut at byte {cut} of {len(data)}")
