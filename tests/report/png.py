"""Just enough PNG decoding (8-bit RGB/RGBA, not interlaced) to look at a screenshot's pixels."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHUNK_HEAD = struct.Struct(">I4s")  # length, type; the CRC follows the data
IHDR = struct.Struct(
    ">IIBBBBB"
)  # width, height, depth, colour type, compression, filter, interlace
CHANNELS = {2: 3, 6: 4}  # colour type -> bytes per pixel at depth 8


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    channels: int
    rows: list[bytes]  # the decoded rows (maybe only the first ones), unfiltered

    def pixels(self) -> list[tuple[int, ...]]:
        c = self.channels
        return [tuple(row[i : i + 3]) for row in self.rows for i in range(0, len(row), c)]


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(kind: int, line: bytes, prev: bytes, bpp: int) -> bytes:
    if kind == 0:
        return line
    if kind == 2:
        return bytes((x + y) & 255 for x, y in zip(line, prev, strict=True))
    out = bytearray(line)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + a) & 255
        elif kind == 3:
            out[i] = (out[i] + ((a + prev[i]) >> 1)) & 255
        elif kind == 4:
            c = prev[i - bpp] if i >= bpp else 0
            out[i] = (out[i] + _paeth(a, prev[i], c)) & 255
        else:
            raise ValueError(f"PNG filter type {kind}")
    return bytes(out)


def decode(data: bytes, max_rows: int | None = None) -> Image:
    """The first `max_rows` rows (all when None) of an 8-bit RGB or RGBA PNG."""
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG")
    offset = len(SIGNATURE)
    header: tuple[int, ...] = ()
    idat = bytearray()
    while offset < len(data):
        length, kind = CHUNK_HEAD.unpack_from(data, offset)
        body = data[offset + CHUNK_HEAD.size : offset + CHUNK_HEAD.size + length]
        offset += CHUNK_HEAD.size + length + 4
        if kind == b"IHDR":
            header = IHDR.unpack(body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}")
    bpp = CHANNELS[colour]
    stride = width * bpp + 1
    wanted = height if max_rows is None else min(height, max_rows)
    raw = zlib.decompressobj().decompress(bytes(idat), wanted * stride)
    rows: list[bytes] = []
    prev = bytes(width * bpp)
    for r in range(wanted):
        line = raw[r * stride : (r + 1) * stride]
        prev = _unfilter(line[0], line[1:], prev, bpp)
        rows.append(prev)
    return Image(width, height, bpp, rows)
