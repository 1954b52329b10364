"""How long building the analytic tables takes beside the ingest that feeds them.

    .venv/bin/python bench/derive_bench.py --fleet DIR [--repeat 5]

Ingests the fleet once into a fresh warehouse (timed; the ingest includes one build), then
times `derived_frames` alone over the committed profile facts, and `read_facts` (what a
warehouse pays once after new rules: every fact read again from `events`), `--repeat` times,
and prints medians, the share of the ingest the build takes, and the row counts. Not part
of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

from pipeline.derive.build import derived_frames
from pipeline.derive.facts import read_facts
from pipeline.ingest.run import ingest
from pipeline.store.catalog import CATALOG, read_parts
from pipeline.store.schemas import PROFILE_FACTS
from pipeline.store.warehouse import Warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleet", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "wh"
        started = time.perf_counter()
        ingest([args.fleet], Warehouse(root), jobs=os.cpu_count() or 1, engine="auto")
        ingest_seconds = time.perf_counter() - started
        files = [str(root / f) for f in read_parts(root)["events"]]
        with duckdb.connect(str(root / CATALOG), read_only=True) as con:
            (events,) = con.execute("select count(*) from events").fetchone() or (0,)
        facts = pl.read_parquet([str(root / f) for f in read_parts(root)[PROFILE_FACTS.name]])
        runs: list[float] = []
        rereads: list[float] = []
        sizes: dict[str, int] = {}
        for _ in range(args.repeat):
            started = time.perf_counter()
            frames = derived_frames(facts)
            runs.append(time.perf_counter() - started)
            sizes = {name: frame.height for name, frame in frames.items()}
            started = time.perf_counter()
            read_facts(files)
            rereads.append(time.perf_counter() - started)
    build = statistics.median(runs)
    print(f"fleet {args.fleet}: {events:,} events")
    print(f"ingest (one run, jobs = cores, build included): {ingest_seconds:.2f} s")
    print(
        f"build of the analytic tables: median {build:.3f} s of {args.repeat}"
        f" (min {min(runs):.3f}, max {max(runs):.3f}), {build / ingest_seconds:.1%} of the ingest"
    )
    print(
        f"reading the facts again from events (after new rules): median"
        f" {statistics.median(rereads):.3f} s for {facts.height:,} facts"
    )
    print("rows: " + ", ".join(f"{name} {count:,}" for name, count in sizes.items()))


if __name__ == "__main__":
    main()
