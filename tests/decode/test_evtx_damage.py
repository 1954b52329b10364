"""Files the tests damage on purpose: what remains readable is kept, the rest is counted."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from pipeline.decode.evtx import read_evtx
from pipeline.records import DecodeStats
from tests.conftest import EVTX_SAMPLES

CLEAN = EVTX_SAMPLES / "pyevtx-system.evtx"  # 1601 records, no damage
CHUNK = 0x10000
HEADER = 0x1000


def layout(data: bytes) -> list[tuple[int, int, int, int]]:
    """(chunk index, offset, size, record id) of every record, walked from the raw bytes."""
    out = []
    for index, offset in enumerate(range(HEADER, len(data), CHUNK)):
        if data[offset : offset + 8] != b"ElfChnk\x00":
            continue
        free = struct.unpack_from("<I", data, offset + 48)[0]
        position = offset + 0x200
        while position < offset + free and data[position : position + 4] == b"**\x00\x00":
            size, record_id = struct.unpack_from("<IQ", data, position + 4)
            out.append((index, position, size, record_id))
            position += size
    return out


def read(path: Path, engine: str = "auto") -> tuple[set[int], DecodeStats]:
    stats = DecodeStats()
    ids = {row.record_id for row in read_evtx(path, engine, stats)}  # type: ignore[arg-type]
    assert all(isinstance(i, int) for i in ids)
    return ids, stats


@pytest.fixture(scope="module")
def original() -> bytes:
    return CLEAN.read_bytes()


@pytest.fixture(scope="module")
def records(original: bytes) -> list[tuple[int, int, int, int]]:
    found = layout(original)
    assert len(found) == 1601
    return found


def test_truncated_mid_chunk(tmp_path: Path, original: bytes, records: list) -> None:
    cut = HEADER + 3 * CHUNK + 30_000
    damaged = tmp_path / "truncated.evtx"
    damaged.write_bytes(original[:cut])
    whole = {rid for _, pos, size, rid in records if pos + size <= cut}
    ids, stats = read(damaged)
    assert ids == whole
    # The header declares 9 chunks in use: 5 are gone whole, and chunk 3 is cut inside.
    assert stats.problems[0] == "file ends after 4 of the 9 chunks its header declares"
    assert stats.skipped == 5 + 1 and "chunk 3" in stats.problems[1]


def test_cut_at_a_chunk_boundary(tmp_path: Path, original: bytes, records: list) -> None:
    # No damaged chunk to notice: only the header's chunk count tells what is missing.
    damaged = tmp_path / "cut.evtx"
    damaged.write_bytes(original[: HEADER + 3 * CHUNK])
    ids, stats = read(damaged)
    assert ids == {rid for chunk, *_, rid in records if chunk < 3}
    assert stats.problems == ["file ends after 3 of the 9 chunks its header declares"]
    assert stats.skipped == 6
    header_only = tmp_path / "header-only.evtx"
    header_only.write_bytes(original[:HEADER])
    ids, stats = read(header_only)
    assert not ids and stats.skipped == 9


def test_chunk_header_zeroed(tmp_path: Path, original: bytes, records: list) -> None:
    data = bytearray(original)
    start = HEADER + 2 * CHUNK
    data[start : start + 0x200] = bytes(0x200)
    damaged = tmp_path / "zeroed.evtx"
    damaged.write_bytes(bytes(data))
    ids, stats = read(damaged)
    assert ids == {rid for chunk, _, _, rid in records if chunk != 2}
    assert stats.skipped == 1 and stats.problems == [
        f"chunk 2: no chunk signature at offset {start:#x}"
    ]


def test_bytes_flipped_inside_a_record(tmp_path: Path, original: bytes, records: list) -> None:
    _, position, _, victim = next(r for r in records if r[0] == 1 and r[2] > 400)
    data = bytearray(original)
    for offset in range(position + 0x18 + 40, position + 0x18 + 80):
        data[offset] ^= 0xFF
    damaged = tmp_path / "flipped.evtx"
    damaged.write_bytes(bytes(data))
    ids, stats = read(damaged)
    others = {rid for *_, rid in records if rid != victim}
    assert others <= ids  # every other record survives
    assert stats.problems, "the damaged record must be reported"
    assert any(str(victim) in p or "chunk 1" in p for p in stats.problems)


def test_record_signature_destroyed_resynchronises(
    tmp_path: Path, original: bytes, records: list
) -> None:
    in_chunk_4 = [r for r in records if r[0] == 4]
    _, position, _, victim = in_chunk_4[10]
    data = bytearray(original)
    data[position : position + 4] = b"XXXX"
    damaged = tmp_path / "signature.evtx"
    damaged.write_bytes(bytes(data))
    ids, stats = read(damaged)
    assert ids == {rid for *_, rid in records if rid != victim}
    assert stats.skipped == 1 and "chunk 4" in stats.problems[0]


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_stale_header_chunk_count(
    tmp_path: Path, original: bytes, records: list, engine: str
) -> None:
    data = bytearray(original)
    struct.pack_into("<H", data, 42, 2)  # the header now claims two chunks
    damaged = tmp_path / "stale.evtx"
    damaged.write_bytes(bytes(data))
    ids, stats = read(damaged, engine)
    assert ids == {rid for *_, rid in records}
    assert stats.skipped == 0


def test_file_header_destroyed(tmp_path: Path, original: bytes, records: list) -> None:
    data = bytearray(original)
    data[:HEADER] = bytes(HEADER)
    damaged = tmp_path / "headless.evtx"
    damaged.write_bytes(bytes(data))
    ids, stats = read(damaged)
    assert ids == {rid for *_, rid in records}
    assert stats.recovered == len(records)
