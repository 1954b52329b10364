"""A damaged copy of a log and its intact copy give the intact copy's events, whichever
batch brings which: rows that kept only their header take the file's host and channel, so
they share the identity of their intact copy, and an intact copy replaces a damaged one
already live."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.decode.evtx import read_evtx
from pipeline.records import DecodeStats
from pipeline.store.catalog import CATALOG
from tests.conftest import EVTX_SAMPLES, run_ingest
from tests.decode.test_evtx_damage import layout

INTACT = EVTX_SAMPLES / "pyevtx-system.evtx"  # 1601 records of one host's System log
HOST = "WKS-WIN764BITB.shieldbase.local"


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The log with 40 bytes flipped inside a record of chunk 1: a template the chunk's
    later records use breaks, and those keep only their header."""
    data = bytearray(INTACT.read_bytes())
    _, position, _, _ = next(r for r in layout(bytes(data)) if r[0] == 1 and r[2] > 400)
    for offset in range(position + 0x18 + 40, position + 0x18 + 80):
        data[offset] ^= 0xFF
    path = tmp_path_factory.mktemp("damaged") / "System-vss.evtx"
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def first_chunks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An intact export of the log's first five chunks alone, its header saying so (chunk
    count, last chunk number, header checksum): read as `ok`, not as a file cut short."""
    data = bytearray(INTACT.read_bytes()[: 0x1000 + 5 * 0x10000])
    struct.pack_into("<Q", data, 16, 4)
    struct.pack_into("<H", data, 42, 5)
    struct.pack_into("<I", data, 124, zlib.crc32(bytes(data[:120])))
    path = tmp_path_factory.mktemp("first") / "System-first-chunks.evtx"
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def intact_events(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    root = tmp_path_factory.mktemp("intact") / "wh"
    run_ingest([INTACT], root)
    return events(root)


def events(root: Path) -> pl.DataFrame:
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        rows = con.execute("select * from events order by record_id").fetchall()
        names = [d[0] for d in con.description or ()]
    return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)


def test_header_only_rows_come_last_with_the_files_host_and_channel(damaged: Path) -> None:
    stats = DecodeStats()
    rows = list(read_evtx(damaged, "auto", stats))
    header_only = [r for r in rows if r.provider is None]
    assert len(rows) == 1601 and len(header_only) == 183
    assert all(r.event_data and '"unreadable"' in r.event_data for r in header_only)
    assert rows[-len(header_only) :] == header_only
    assert {(r.host, r.channel) for r in rows} == {(HOST, "System")}


def test_a_damaged_copy_alone_keeps_its_header_only_rows(tmp_path: Path, damaged: Path) -> None:
    root = tmp_path / "wh"
    run_ingest([damaged], root)
    got = events(root)
    assert got.height == 1601
    assert got.filter(pl.col("provider").is_null()).height == 183
    assert got.filter(pl.col("host").is_null()).height == 0


@pytest.mark.parametrize("batches", ["one batch", "damaged first", "intact first"])
def test_the_intact_copy_is_kept_whichever_batch_brings_it(
    tmp_path: Path, damaged: Path, intact_events: pl.DataFrame, batches: str
) -> None:
    root = tmp_path / "wh"
    if batches == "one batch":
        run_ingest([damaged, INTACT], root)
    else:
        first, second = (damaged, INTACT) if batches == "damaged first" else (INTACT, damaged)
        assert run_ingest([first], root).new_events == 1601
        assert run_ingest([second], root).new_events == 0
    assert events(root).equals(intact_events)


@pytest.mark.parametrize("batches", ["one batch", "damaged first", "intact first"])
def test_an_intact_copy_of_part_of_the_log_replaces_only_its_records(
    tmp_path: Path, damaged: Path, first_chunks: Path, batches: str
) -> None:
    """The damaged copy's live part loses the records the intact export holds (all of the
    damaged chunk among them) and keeps the rest."""
    root = tmp_path / "wh"
    if batches == "one batch":
        run_ingest([damaged, first_chunks], root)
    else:
        first, second = (
            (damaged, first_chunks) if batches == "damaged first" else (first_chunks, damaged)
        )
        run_ingest([first], root)
        run_ingest([second], root)
    got = events(root)
    ids = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (damaged, first_chunks)}
    from_export = got.filter(pl.col("file_id") == ids[first_chunks])
    assert from_export.height == 882
    assert got.height == 1601 and got.filter(pl.col("provider").is_null()).height == 0
    assert got.filter(pl.col("file_id") == ids[damaged]).height == 1601 - 882
    assert (
        from_export["record_id"].max()
        < got.filter(pl.col("file_id") == ids[damaged])["record_id"].min()
    )
