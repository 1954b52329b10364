"""Build the analytic tables from the committed `events` parts, as one Parquet part each.

The tables are rebuilt whole by every batch that adds events: an incident can span two
batches, and a rebuild keeps them exactly what one ingest of all the inputs would give.
Only catalogued (provider, event id) pairs leave DuckDB, so the Python side sees the
profile events, a small share of all events.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import polars as pl

from pipeline.derive.families import family_of, host_families
from pipeline.derive.incidents import group_incidents
from pipeline.derive.offenders import rank_offenders
from pipeline.derive.profile import Candidate, profile_events
from pipeline.normalize.profile_catalog import catalog_pairs
from pipeline.normalize.remediation import remediation_rows
from pipeline.store.schemas import (
    HIVE_LEAKS,
    OFFENDERS,
    PROFILE_EVENTS,
    REMEDIATION,
    UNLOAD_INCIDENTS,
    Table,
)
from pipeline.store.sqltext import literal, literal_list

# EventLog 6009 names the Windows version at every boot of NT4 to 2003.
_VERSION_SQL = (
    "SELECT host, coalesce(event_data->'strings'->>0, '') FROM {source}"
    " WHERE provider = 'EventLog' AND event_id = 6009 ORDER BY host, time_created"
)


def derived_frames(event_files: Sequence[str]) -> dict[str, pl.DataFrame]:
    """Table name -> the rows of each analytic table over the events in `event_files`."""
    candidates, versions = _read(event_files)
    events, leaks = profile_events(candidates)
    decided = host_families(versions, ((e.host, e.families) for e in events))
    families = [family_of(e.host, e.families, decided) for e in events]
    incidents, incident_of = group_incidents(events, families, leaks)
    offenders = rank_offenders(leaks, incident_of)
    profile_rows = [
        (*e[:4], family, e.kind, e.user_sid, e.user_name, e.detail, e.record_id, e.file_id)
        for e, family in zip(events, families, strict=True)
    ]
    return {
        PROFILE_EVENTS.name: _frame(PROFILE_EVENTS, profile_rows),
        HIVE_LEAKS.name: _frame(HIVE_LEAKS, [leak[:-1] for leak in leaks]),
        UNLOAD_INCIDENTS.name: _frame(UNLOAD_INCIDENTS, [tuple(i) for i in incidents]),
        OFFENDERS.name: _frame(OFFENDERS, [tuple(o) for o in offenders]),
        REMEDIATION.name: _frame(REMEDIATION, [tuple(r) for r in remediation_rows()]),
    }


def write_derived(root: Path, event_files: Sequence[str], batch: str) -> dict[str, str]:
    """Write each analytic table as `<table>/part-<batch>.parquet`; table -> relative path."""
    written: dict[str, str] = {}
    for name, frame in derived_frames(event_files).items():
        relative = f"{name}/part-{batch}.parquet"
        (root / name).mkdir(exist_ok=True)
        frame.write_parquet(root / relative, compression="zstd")
        written[name] = relative
    return written


def _read(event_files: Sequence[str]) -> tuple[list[Candidate], list[tuple[str | None, str]]]:
    if not event_files:
        return [], []
    source = f"read_parquet({literal_list(event_files)})"
    pairs = ", ".join(f"({literal(p)}, {n})" for p, n in catalog_pairs())
    sql = (
        "SELECT e.host, e.channel, e.provider, e.event_id, e.time_created, e.record_id,"
        " e.user_sid, e.event_data, e.file_id"
        f" FROM {source} e JOIN (VALUES {pairs}) c(provider, event_id)"
        " ON lower(e.provider) = c.provider AND e.event_id = c.event_id"
        " ORDER BY e.host, e.time_created, e.channel, e.record_id"
    )
    with duckdb.connect() as con:
        candidates = [Candidate(*row) for row in con.execute(sql).fetchall()]
        versions = [(h, v) for h, v in con.execute(_VERSION_SQL.format(source=source)).fetchall()]
    return candidates, versions


def _frame(table: Table, rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=table.polars_schema, orient="row")
