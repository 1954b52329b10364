"""Chunks fill, roll over, and carry their own string and template tables."""

from __future__ import annotations

import struct
import zlib

import Evtx.Evtx as python_evtx

from pipeline.synth.evtx_layout import (
    CHUNK_HEADER,
    CHUNK_SIZE,
    FILE_HEADER,
    FILE_HEADER_BLOCK_SIZE,
)
from pipeline.synth.evtx_writer import write_evtx
from pipeline.synth.model import EventKind, Field, Record, unix_us_to_filetime

KIND = EventKind(
    "Microsoft-Windows-Test",
    1,
    "System",
    4,
    (Field("Payload"), Field("More")),
    provider_guid="{11111111-2222-3333-4444-555555555555}",
)
OTHER = EventKind("Test-Classic", 2, "System", 4, (Field(None),), qualifiers=0)
T0 = unix_us_to_filetime(1_709_510_400_000_000)


def _records(n):
    return [
        Record(
            KIND if i % 3 else OTHER,
            "WS-0001.corp.contoso.com",
            T0 + i * 10_000_000,
            ("x" * (40 + i % 300), "y") if i % 3 else (f"line {i}",),
            record_id=1000 + i,
        )
        for i in range(n)
    ]


def _chunks(data):
    for offset in range(FILE_HEADER_BLOCK_SIZE, len(data), CHUNK_SIZE):
        yield offset, data[offset : offset + CHUNK_SIZE]


def test_full_chunks_roll_over(tmp_path):
    path = tmp_path / "rollover.evtx"
    records = _records(1500)
    stats = write_evtx(path, records)
    data = path.read_bytes()
    assert stats.chunks >= 3
    assert len(data) == FILE_HEADER_BLOCK_SIZE + stats.chunks * CHUNK_SIZE
    header = FILE_HEADER.unpack_from(data, 0)
    assert header[0] == b"ElfFile\x00"
    assert (header[1], header[2], header[3], header[8]) == (0, stats.chunks - 1, 2500, stats.chunks)
    assert header[10] == zlib.crc32(data[:120])
    expected_first = 1000
    for _, chunk in _chunks(data):
        fields = CHUNK_HEADER.unpack_from(chunk, 0)
        _, first_no, last_no, first_id, last_id, size, last_off, free, records_crc, _, crc = fields
        assert (first_no, first_id) == (expected_first, expected_first)
        assert (last_no, last_id) == (last_id, last_id)
        assert size == 128 and free <= CHUNK_SIZE
        assert records_crc == zlib.crc32(chunk[512:free])
        assert crc == zlib.crc32(chunk[:120] + chunk[128:512])
        assert struct.unpack_from("<Q", chunk, last_off + 8)[0] == last_id
        assert chunk[free:] == bytes(CHUNK_SIZE - free)
        # each chunk defines each name and each template once, and the tables point at them
        assert chunk.count("EventRecordID".encode("utf-16-le") + b"\x00\x00") == 1
        assert chunk.count(b"ElfChnk") == 1
        templates = [t for t in struct.unpack_from("<32I", chunk, 384) if t]
        assert len(templates) == 2
        expected_first = last_id + 1
    assert expected_first == 2500


def test_python_evtx_sees_each_chunks_templates(tmp_path):
    path = tmp_path / "templates.evtx"
    write_evtx(path, _records(900))
    with python_evtx.Evtx(str(path)) as log:
        for chunk in log.get_file_header().chunks():
            assert chunk.verify()
            assert len(chunk.templates()) == 2
            names = {s.string() for s in chunk.strings().values()}
            assert {"Event", "System", "EventData", "Data", "Name"} <= names
