"""Write .evtx files: a 4 KiB file header, then 64 KiB chunks of Binary XML records.

Layout: libyal's "Windows XML Event Log (EVTX) format" and [MS-EVEN6]. Each chunk has
its own string table and template table, so a template is defined in the first record
of a chunk that uses it and referenced by offset after; a record that does not fit
closes the chunk and is re-encoded at the start of the next one.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pipeline.synth.binxml import FRAGMENT, TOKEN_EOF, ChunkScope, Template, substitution_array
from pipeline.synth.evtx_layout import (
    CHUNK_FLAGS,
    CHUNK_HEADER,
    CHUNK_HEADER_CRC_SPAN,
    CHUNK_HEADER_SIZE,
    CHUNK_SIGNATURE,
    CHUNK_SIZE,
    FILE_FLAG_DIRTY,
    FILE_FORMAT_MAJOR,
    FILE_FORMAT_MINOR,
    FILE_HEADER,
    FILE_HEADER_BLOCK_SIZE,
    FILE_HEADER_CRC_SPAN,
    FILE_SIGNATURE,
    RECORD_ALIGNMENT,
    RECORD_HEADER,
    RECORD_SIGNATURE,
    RECORD_TRAILER,
    STRING_TABLE,
    STRING_TABLE_OFFSET,
    TEMPLATE_TABLE,
    TEMPLATE_TABLE_OFFSET,
)
from pipeline.synth.evtx_templates import event_template, substitution_values
from pipeline.synth.model import Record

# A chunk is never filled to its last byte: libevtx skips a record that ends exactly at
# the chunk's end, and Windows always leaves some slack.
CHUNK_SLACK = 8


class RecordTooLarge(ValueError):
    """A record that would not fit in an empty chunk."""


@dataclass(frozen=True)
class EvtxStats:
    records: int
    chunks: int
    first_record_id: int
    next_record_id: int
    spans: tuple[tuple[int, int], ...]  # (file offset, size) of each record, in order


class _Chunk:
    """One chunk being filled: records area, first/last ids, scope of names/templates."""

    def __init__(self, first_id: int) -> None:
        self.body = bytearray()
        self.scope = ChunkScope()
        self.first_id = first_id
        self.last_id = first_id - 1
        self.last_offset = 0

    @property
    def free_offset(self) -> int:
        return CHUNK_HEADER_SIZE + len(self.body)

    def try_append(self, record_id: int, written: int, template: Template, values: Any) -> bool:
        """Encode one record at the end of the chunk; False (and no change) if it won't fit."""
        start = self.free_offset
        out = bytearray(RECORD_HEADER.size)
        base = start  # chunk offset of out[0]
        self.scope.begin()
        out += FRAGMENT
        self.scope.instance(out, base, template)
        out += substitution_array(template.vtypes, values)
        out.append(TOKEN_EOF)  # Windows ends the fragment here; libevtx needs it
        size = len(out) + RECORD_TRAILER.size
        size += -size % RECORD_ALIGNMENT
        if start + size > CHUNK_SIZE - CHUNK_SLACK:
            self.scope.rollback()
            return False
        out += bytes(size - len(out) - RECORD_TRAILER.size)
        out += RECORD_TRAILER.pack(size)
        RECORD_HEADER.pack_into(out, 0, RECORD_SIGNATURE, size, record_id, written)
        self.body += out
        self.last_id = record_id
        self.last_offset = start
        return True

    def seal(self, first_number: int) -> bytes:
        """The finished 64 KiB chunk, with its two CRC32s."""
        count = self.last_id - self.first_id + 1
        header = bytearray(CHUNK_HEADER_SIZE)
        STRING_TABLE.pack_into(header, STRING_TABLE_OFFSET, *self.scope.string_buckets)
        TEMPLATE_TABLE.pack_into(header, TEMPLATE_TABLE_OFFSET, *self.scope.template_buckets)
        records_crc = zlib.crc32(self.body)
        fields = [
            CHUNK_SIGNATURE,
            first_number,
            first_number + count - 1,
            self.first_id,
            self.last_id,
            128,
            self.last_offset,
            self.free_offset,
            records_crc,
            CHUNK_FLAGS,
            0,
        ]
        CHUNK_HEADER.pack_into(header, 0, *fields)
        crc = zlib.crc32(bytes(header[:CHUNK_HEADER_CRC_SPAN]) + bytes(header[128:]))
        fields[-1] = crc
        CHUNK_HEADER.pack_into(header, 0, *fields)
        return bytes(header) + bytes(self.body) + bytes(CHUNK_SIZE - self.free_offset)


class EvtxWriter:
    """Stream records into an .evtx file; `close()` writes the file header.

    `first_record_id` is the record identifier of the first record (logs that have been
    cleared or have wrapped do not start at 1). Record identifiers in the record headers
    are consecutive; the EventRecordID inside the XML is the record's own `record_id`
    (equal to it, except in a forwarded-events log).
    """

    def __init__(self, stream: BinaryIO, *, first_record_id: int = 1, dirty: bool = False) -> None:
        self._stream = stream
        self._next_id = first_record_id
        self._first_id = first_record_id
        self._dirty = dirty
        self._chunks = 0
        self._records = 0
        self._chunk = _Chunk(first_record_id)
        self._templates: dict[tuple[int, str], Template] = {}
        self._spans: list[tuple[int, int]] = []
        stream.write(bytes(FILE_HEADER_BLOCK_SIZE))

    def append(self, record: Record) -> int:
        """Add `record`; returns the record identifier it got in this file."""
        key = (id(record.kind), record.computer)
        template = self._templates.get(key)
        if template is None:
            template = event_template(record.kind, record.computer)
            self._templates[key] = template
        return self.append_values(template, substitution_values(record), record.time)

    def append_values(self, template: Template, values: Sequence[Any], written: int) -> int:
        record_id = self._next_id
        if not self._chunk.try_append(record_id, written, template, values):
            if self._chunk.last_id < self._chunk.first_id:
                raise RecordTooLarge(f"record {record_id} does not fit in a chunk")
            self._flush()
            if not self._chunk.try_append(record_id, written, template, values):
                raise RecordTooLarge(f"record {record_id} does not fit in a chunk")
        chunk_at = FILE_HEADER_BLOCK_SIZE + self._chunks * CHUNK_SIZE
        self._spans.append(
            (chunk_at + self._chunk.last_offset, self._chunk.free_offset - self._chunk.last_offset)
        )
        self._next_id += 1
        self._records += 1
        return record_id

    def _flush(self) -> None:
        chunk = self._chunk
        self._stream.write(chunk.seal(chunk.first_id))
        self._chunks += 1
        self._chunk = _Chunk(self._next_id)

    def close(self) -> EvtxStats:
        if self._chunk.last_id >= self._chunk.first_id or self._chunks == 0:
            self._flush()
        header = bytearray(FILE_HEADER.size)
        fields = [
            FILE_SIGNATURE,
            0,
            self._chunks - 1,
            self._next_id,
            128,
            FILE_FORMAT_MINOR,
            FILE_FORMAT_MAJOR,
            FILE_HEADER_BLOCK_SIZE,
            self._chunks,
            FILE_FLAG_DIRTY if self._dirty else 0,
            0,
        ]
        FILE_HEADER.pack_into(header, 0, *fields)
        fields[-1] = zlib.crc32(bytes(header[:FILE_HEADER_CRC_SPAN]))
        FILE_HEADER.pack_into(header, 0, *fields)
        self._stream.seek(0)
        self._stream.write(header)
        self._stream.seek(0, 2)
        return EvtxStats(
            self._records, self._chunks, self._first_id, self._next_id, tuple(self._spans)
        )


def write_evtx(
    path: Path, records: Sequence[Record], *, first_record_id: int | None = None
) -> EvtxStats:
    """Write `records` (already in log order) to `path`.

    Record identifiers follow the records' own `record_id`s when `first_record_id` is
    None (an ordinary log); otherwise the file numbers them itself from that value.
    """
    start = (
        first_record_id if first_record_id is not None else (records[0].record_id if records else 1)
    )
    with path.open("wb") as stream:
        writer = EvtxWriter(stream, first_record_id=start)
        for record in records:
            got = writer.append(record)
            if first_record_id is None and got != record.record_id:
                raise ValueError(f"record ids not consecutive at {record.record_id}")
        return writer.close()
