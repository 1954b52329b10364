"""A record whose time was zeroed (the FILETIME epoch, 1601-01-01) is kept and counted, but
the time spans that reports and queries give pass over it.

HelloForBusiness%4Operational.evtx in the shared samples holds such a record.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.ingest.run import Summary
from pipeline.query import named
from pipeline.query.sql import run_sql
from pipeline.report.gather import gather
from pipeline.store.catalog import CATALOG

EPOCH = datetime(1601, 1, 1)


def _row(root: Path, sql: str, *params: Any) -> tuple[Any, ...]:
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        row = con.execute(sql, list(params)).fetchone()
    assert row is not None
    return tuple(row)


def _one(root: Path, sql: str, *params: Any) -> Any:
    return _row(root, sql, *params)[0]


def test_the_report_span_starts_at_the_first_real_time(
    samples_warehouse: tuple[Path, Summary],
) -> None:
    root, _ = samples_warehouse
    zeroed = _one(root, "select count(*) from events where time_created = timestamp '1601-01-01'")
    assert zeroed == 1
    coverage = gather(root, None).coverage
    assert coverage.records == _one(root, "select count(*) from events")  # still counted
    assert coverage.first_event == _one(
        root, "select min(time_created) from events where time_created > timestamp '1601-01-01'"
    )
    assert coverage.first_event is not None and coverage.first_event.year > 2000


def test_events_by_host_spans_pass_over_it(samples_warehouse: tuple[Path, Summary]) -> None:
    root, _ = samples_warehouse
    host, channel = _row(
        root, "select host, channel from events where time_created = timestamp '1601-01-01'"
    )
    result = run_sql(root, named.load("events_by_host"))
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    (mine,) = [r for r in rows if (r["host"], r["channel"]) == (host, channel)]
    same = "host is not distinct from ? and channel is not distinct from ?"
    assert mine["events"] == _one(root, f"select count(*) from events where {same}", host, channel)
    assert all(r["first_event"] is None or r["first_event"] > EPOCH for r in rows)
    assert mine["first_event"] is not None
