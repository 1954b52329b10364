"""The per-file step on its own: what it keeps when its decoder fails part-way, and the
garbage-collection setting it reads a file under."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import polars as pl
import pytest

from pipeline.decode.evtx import Engine, read_evtx
from pipeline.ingest import step
from pipeline.ingest.step import FileTask, run_step
from pipeline.records import DecodeStats, EventRow
from tests.conftest import EVTX_SAMPLES

SAMPLE = EVTX_SAMPLES / "pyevtx-security.evtx"


def task_for(path: Path, staging: Path) -> FileTask:
    staging.mkdir(exist_ok=True)
    return FileTask(str(path), "f" * 64, "evtx", path.stat().st_size, "auto", str(staging))


def test_a_decoder_that_fails_part_way_keeps_the_rows_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_all = list(read_evtx(SAMPLE, "auto", DecodeStats()))
    assert len(read_all) > 10

    def failing(path: Path, engine: Engine, stats: DecodeStats) -> Iterator[EventRow]:
        yield from islice(read_evtx(path, engine, stats), 10)
        raise ValueError("a decoder bug")

    monkeypatch.setitem(step.DECODERS, "evtx", failing)
    result = run_step(task_for(SAMPLE, tmp_path / "staging"))
    assert (result.status, result.records, result.skipped) == ("partial", 10, 1)
    assert result.error is not None
    assert result.error.startswith("reading stopped after 10 records: ValueError: a decoder bug")
    kept = pl.read_parquet(list(result.parts))
    assert kept.get_column("record_id").to_list() == [r.record_id for r in read_all[:10]]


def test_a_file_is_read_with_fewer_collections_and_the_setting_is_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows held for the batch made Python's default threshold collect every few hundred
    records (bench/decode_floor.py); the step raises it while it reads, and only then."""
    seen: list[int] = []

    def watched(path: Path, engine: Engine, stats: DecodeStats) -> Iterator[EventRow]:
        for row in read_evtx(path, engine, stats):
            seen.append(gc.get_threshold()[0])
            yield row
        raise RuntimeError("and then it fails")

    monkeypatch.setitem(step.DECODERS, "evtx", watched)
    before = gc.get_threshold()
    result = run_step(task_for(SAMPLE, tmp_path / "staging"))
    assert result.records == len(seen) > 0
    assert set(seen) == {step.YOUNG_COLLECTION_THRESHOLD} and before[0] < seen[0]
    assert gc.get_threshold() == before
