"""Small parts are merged once a table holds `COMPACT_AT` of them: batch after batch, the
tables keep the rows one batch of all the inputs gives, in a bounded number of parts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline.ingest import step
from pipeline.store import compact, event_parts
from pipeline.store.catalog import CATALOG, read_parts
from tests.conftest import EVTX_SAMPLES, run_ingest

NAMES = ("system.evtx", "sysmon.evtx", "TestLogX.evtx", "post-Security.evtx")


def rows(root: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        return con.execute(sql).fetchall()


def on_disk(root: Path, table: str) -> set[str]:
    return {f"{table}/{p.name}" for p in (root / table).glob("*.parquet")}


def test_small_parts_are_merged_and_the_rows_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compact, "COMPACT_AT", 3)
    root = tmp_path / "wh"
    counts = []
    for name in NAMES:
        run_ingest([EVTX_SAMPLES / name], root)
        parts = read_parts(root)
        counts.append((len(parts["events"]), len(parts["ingest_files"])))
        # the merged parts are deleted once the catalog no longer lists them
        assert set(parts["events"]) == on_disk(root, "events")
        assert set(parts["ingest_files"]) == on_disk(root, "ingest_files")
    assert counts == [(1, 1), (2, 2), (1, 1), (2, 2)]

    together = tmp_path / "together"
    run_ingest([EVTX_SAMPLES / name for name in NAMES], together)
    for sql in (
        "select * from events order by host, channel, record_id, time_created",
        "select * exclude (ingested_at) from ingest_files order by path",
        "select * from profile_events order by all",
    ):
        assert rows(root, sql) == rows(together, sql), sql
    assert rows(root, "select count(*) from events") == [(1881 + 358 + 5 + 126,)]


def test_a_batch_of_many_small_parts_leaves_only_the_merged_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files of many parts each (here 500 rows a part, each kept as it is) are merged in
    the batch that wrote them, and the parts merged before they were ever live are gone."""
    monkeypatch.setattr(step, "BATCH_ROWS", 500)
    monkeypatch.setattr(event_parts, "PROMOTE_ROWS", 400)
    monkeypatch.setattr(compact, "COMPACT_AT", 3)
    monkeypatch.setattr(compact, "MERGE_ROWS", 2000)
    root = tmp_path / "wh"
    run_ingest([EVTX_SAMPLES / "system.evtx", EVTX_SAMPLES / "security.evtx"], root)
    parts = read_parts(root)["events"]
    assert on_disk(root, "events") == set(parts) and len(parts) == 3  # 4142 rows
    assert rows(root, "select count(*) from events") == [(1881 + 2261,)]
