"""How long `hivewatch report` takes over ten million events, beside a bare scan of `events`.

    .venv/bin/python bench/report_bench.py [--events 10000000] [--copies 500] [--repeat 5]
                                           [--out bench/out/report-10m] [--rebuild]

The warehouse is synthesized once under bench/out/ (kept for later runs; --rebuild makes it
again), straight into Parquet with DuckDB, in the `events` schema:

  * the committed fixture fleet's events, ingested once, replicated --copies times: each copy
    on its own hosts (`WS-0936-17`), shifted by (copy mod 26) weeks, record ids offset, and the
    avp.exe / cvh.exe leaks renamed per copy (40 variants) so there are more offender pairs:
    the profile events, leaks and incidents are the fleet's, many times over;
  * background events (Service Control Manager 7036 on the same hosts, spread over the same
    26 weeks) up to --events in all: what most of a real System log is.

The analytic tables are then built by Hivewatch's own derive step and the catalog written, as
an ingest would. The report is timed end to end as the CLI runs it (read-only queries,
history compare, HTML render, file write, run recorded), --repeat times, against DuckDB
scans of `events` through the same catalog. Medians, and their ratios, are printed. Not part
of the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipeline.derive.build import commit_derived
from pipeline.ingest.run import ingest
from pipeline.report.output import Destination
from pipeline.report.run import make_report
from pipeline.store.catalog import CATALOG, read_parts, typed_columns, write_catalog
from pipeline.store.event_parts import EventCommit
from pipeline.store.schemas import EVENTS, INGEST_FILES
from pipeline.store.sqltext import literal, literal_list
from pipeline.store.warehouse import Warehouse

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
BATCH = "bench"

SCANS = {
    "count(*), max(time_created)": "select count(*), max(time_created) from events",
    "4-column scan": (
        "select count(distinct host), count(distinct file_id), min(time_created),"
        " max(time_created) from events"
    ),
}


def fleet_events(scratch: Path) -> tuple[list[str], list[str]]:
    """The fixture fleet ingested once: its events and ledger parts."""
    root = scratch / "fleet"
    ingest([FIXTURES], Warehouse(root), jobs=2, engine="auto")
    parts = read_parts(root)
    return [str(root / f) for f in parts["events"]], [str(root / f) for f in parts["ingest_files"]]


def synthesize(out: Path, events: int, copies: int) -> None:
    if out.exists():
        shutil.rmtree(out)
    (out / EVENTS.name).mkdir(parents=True)
    (out / INGEST_FILES.name).mkdir()
    with tempfile.TemporaryDirectory() as scratch:
        fleet, ledger = fleet_events(Path(scratch))
        source = f"read_parquet({literal_list(fleet)})"
        columns = ", ".join(EVENTS.names)
        with duckdb.connect() as con:
            (per_copy,) = con.execute(f"select count(*) from {source}").fetchone() or (0,)
            background = max(events - per_copy * copies, 0)
            target = out / EVENTS.name / f"part-{BATCH}.parquet"
            con.execute(
                f"""
                COPY (
                    WITH replicated AS (
                        SELECT host || '-' || k AS host, channel, provider, event_id,
                            qualifiers, level, time_created + to_weeks(k % 26) AS time_created,
                            record_id + k * 100000000 AS record_id, process_id, thread_id,
                            user_sid,
                            replace(replace(event_data, 'avp.exe', 'avp' || (k % 40) || '.exe'),
                                'cvh.exe', 'cvh' || (k % 40) || '.exe') AS event_data,
                            source_format, file_id
                        FROM {source} CROSS JOIN range({copies}) c(k)
                    ),
                    hosts AS (
                        SELECT list(DISTINCT host) AS names FROM replicated
                    ),
                    noise AS (
                        SELECT names[1 + (i % len(names))] AS host, 'System' AS channel,
                            'Service Control Manager' AS provider, 7036 AS event_id,
                            16384 AS qualifiers, 4 AS level,
                            TIMESTAMP '2024-03-04' + to_microseconds(
                                (i * (26 * 7 * 86400000000 // {max(background, 1)}))::BIGINT
                            ) AS time_created,
                            1000000000 + i AS record_id, 0 AS process_id, 0 AS thread_id,
                            NULL AS user_sid,
                            '{{"strings": ["Remote Registry", "running"]}}' AS event_data,
                            'evtx' AS source_format,
                            'background-' || (i % 64) AS file_id
                        FROM range({background}) r(i) CROSS JOIN hosts
                    )
                    SELECT {typed_columns(EVENTS, stored=True)} FROM (
                        SELECT {columns} FROM replicated UNION ALL SELECT {columns} FROM noise
                    )
                    ORDER BY time_created, host, channel, record_id
                ) TO {literal(str(target))} (FORMAT parquet, COMPRESSION zstd)
                """
            )
            written = dict(pl.read_parquet_schema(target))
            if written != EVENTS.polars_schema:  # an ingest would then fail on these parts
                raise SystemExit(f"{target} is not in the events schema: {written}")
            ledger_target = out / INGEST_FILES.name / f"part-{BATCH}.parquet"
            con.execute(
                f"COPY (SELECT {', '.join(INGEST_FILES.names)} FROM read_parquet("
                f"{literal_list(ledger)})) TO {literal(str(ledger_target))} (FORMAT parquet)"
            )
    started = time.perf_counter()
    events_part = f"{EVENTS.name}/part-{BATCH}.parquet"
    derived = commit_derived(out, {EVENTS.name: [events_part]}, EventCommit(0, [], {}), BATCH)
    print(f"derive over the synthesized events: {time.perf_counter() - started:.1f} s")
    parts = {name: [] for name in read_parts(out)}
    parts[EVENTS.name] = [events_part]
    parts[INGEST_FILES.name] = [f"{INGEST_FILES.name}/part-{BATCH}.parquet"]
    parts.update(derived)
    write_catalog(out, parts)


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--copies", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "report-10m")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild or not (args.out / CATALOG).exists():
        started = time.perf_counter()
        synthesize(args.out, args.events, args.copies)
        print(f"warehouse synthesized in {time.perf_counter() - started:.1f} s: {args.out}")
    with duckdb.connect(str(args.out / CATALOG), read_only=True) as con:
        counts = {
            t: (con.execute(f"select count(*) from {t}").fetchone() or (0,))[0]
            for t in ("events", "profile_events", "hive_leaks", "unload_incidents", "offenders")
        }
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))

    def scan(sql: str) -> Callable[[], object]:
        def run() -> object:
            with duckdb.connect(str(args.out / CATALOG), read_only=True) as con:
                return con.execute(sql).fetchall()

        return run

    reports = args.out.parent / "reports"
    if reports.exists():
        shutil.rmtree(reports)
    (args.out / "report_state.json").unlink(missing_ok=True)
    results: dict[str, list[float]] = {}
    for name, sql in SCANS.items():
        results[f"bare DuckDB: {name}"] = timed(scan(sql), args.repeat)
    for fmt in ("html", "json"):
        target = Destination(reports, directory=True)
        results[f"hivewatch report --format {fmt} -o DIR"] = timed(
            lambda fmt=fmt, target=target: make_report(  # type: ignore[misc]
                args.out, None, fmt, target, datetime.now(UTC)
            ),
            args.repeat,
        )
    baseline = statistics.median(results[f"bare DuckDB: {next(iter(SCANS))}"])
    wide = statistics.median(results[f"bare DuckDB: {list(SCANS)[1]}"])
    print(f"median of {args.repeat} runs, {counts['events']:,} events:")
    for name, runs in results.items():
        median = statistics.median(runs)
        print(
            f"  {name:<44} {median:7.3f} s  (x{median / baseline:5.1f} count/max,"
            f" x{median / wide:4.1f} 4-column)  min {min(runs):.3f} max {max(runs):.3f}"
        )


if __name__ == "__main__":
    main()
