"""Exporting rows with `hivewatch sql -o FILE`, beside DuckDB writing the same rows itself.

    .venv/bin/python bench/export_bench.py [--warehouse bench/out/report-10m]
                                           [--rows 1000000 10000000] [--formats csv json]
                                           [--repeat 3]

The warehouse is the one bench/report_bench.py synthesizes (ten million events). Each run
is a fresh `hivewatch sql "select * from events limit N"` process, timed end to end, with its
peak RSS; the baseline is DuckDB's own `COPY (...) TO` of the same rows in the same format
through the catalog (native code, no Python per row). Medians, and their ratios, are
printed. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
HIVEWATCH = [sys.executable, "-m", "pipeline"]


def hivewatch_export(warehouse: Path, sql: str, fmt: str, out: Path) -> tuple[float, int]:
    """Seconds and peak RSS (MB) of one `hivewatch sql` process writing `out`."""
    command = [*HIVEWATCH, "sql", sql, "-w", str(warehouse), "--format", fmt, "-o", str(out)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)  # this child's own peak, not the largest yet
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"hivewatch sql failed: {stderr.strip()}")
    return seconds, usage.ru_maxrss // 1024


def duckdb_export(warehouse: Path, sql: str, fmt: str, out: Path) -> float:
    options = "(FORMAT csv, HEADER)" if fmt == "csv" else "(FORMAT json, ARRAY true)"
    started = time.perf_counter()
    with duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True) as con:
        con.execute(f"COPY ({sql}) TO '{out}' {options}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=ROOT / "bench/out/report-10m")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "json"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not (args.warehouse / "catalog.duckdb").exists():
        raise SystemExit(
            f"no warehouse at {args.warehouse}: run bench/report_bench.py first (it builds one)"
        )
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        for rows in args.rows:
            sql = f"select * from events limit {rows}"
            for fmt in args.formats:
                ours = [hivewatch_export(args.warehouse, sql, fmt, out) for _ in range(args.repeat)]
                size = out.stat().st_size
                bare = [duckdb_export(args.warehouse, sql, fmt, out) for _ in range(args.repeat)]
                seconds = statistics.median(s for s, _ in ours)
                baseline = statistics.median(bare)
                print(
                    f"{rows:>11,} rows {fmt:<4} {size / 1e6:8.0f} MB  hivewatch sql"
                    f" {seconds:6.1f} s ({rows / seconds:9,.0f} rows/s, peak RSS"
                    f" {max(p for _, p in ours)} MB)  duckdb COPY {baseline:5.1f} s"
                    f"  ratio x{baseline / seconds:.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
