"""Ingest throughput beside the public baselines, in one run. Not part of the test suite.

    .venv/bin/python bench/ingest_bench.py --samples ../shared/samples [--fleet DIR] [--repeat 5]

For each input set it measures, each in a fresh subprocess (so peak RSS is per measurement):
  bare-rust      pyevtx-rs records_json() iteration, one thread, no processing (the baseline)
  python-evtx    python-evtx + lxml rendering of every record (on a small subset only)
  ingest-j1      `hivewatch ingest --jobs 1` end to end into a fresh warehouse
  ingest-jN      the same with --jobs N (default: the number of cores)
and prints records/s medians, the ratio to bare-rust, peak RSS (the process and its
workers) and, for ingest, the median seconds of the commit (which no worker speeds up).
Quote medians and ratios; these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def evtx_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.evtx") if p.is_file())


def measure_bare(files: list[Path]) -> dict[str, float]:
    import evtx

    warnings.simplefilter("ignore")
    started = time.perf_counter()
    count = 0
    for path in files:
        parser = evtx.PyEvtxParser(str(path), number_of_threads=1, skip_errors=True)
        for _ in parser.records_json():
            count += 1
    return {"seconds": time.perf_counter() - started, "records": count}


def measure_python_evtx(files: list[Path], limit: int) -> dict[str, float]:
    from Evtx.Evtx import Evtx

    started = time.perf_counter()
    count = 0
    for path in files:
        with Evtx(str(path)) as log:
            for record in log.records():
                try:
                    record.lxml()
                except Exception:
                    continue
                count += 1
                if count >= limit:
                    return {"seconds": time.perf_counter() - started, "records": count}
    return {"seconds": time.perf_counter() - started, "records": count}


def measure_ingest(inputs: list[Path], jobs: int) -> dict[str, float]:
    from pipeline.ingest.run import ingest
    from pipeline.store.warehouse import Warehouse

    committing = {"seconds": 0.0}
    commit = Warehouse.commit

    def timed_commit(self: Warehouse, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return commit(self, *args, **kwargs)
        finally:
            committing["seconds"] += time.perf_counter() - started

    Warehouse.commit = timed_commit  # type: ignore[method-assign]
    root = Path(tempfile.mkdtemp(prefix="hw-bench-"))
    try:
        started = time.perf_counter()
        summary = ingest(inputs, Warehouse(root / "wh"), jobs=jobs, engine="auto")
        return {
            "seconds": time.perf_counter() - started,
            "records": summary.records,
            "commit_seconds": committing["seconds"],
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def one(args: argparse.Namespace) -> None:
    """Child mode: run one measurement and print it as JSON with peak RSS."""
    files = [Path(p) for p in args.files]
    if args.one == "bare-rust":
        result = measure_bare(files)
    elif args.one == "python-evtx":
        result = measure_python_evtx(files, args.limit)
    else:
        result = measure_ingest(files, int(args.one.removeprefix("ingest-j")))
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["peak_rss_mb"] = max(self_kb, children_kb) / 1024
    print(json.dumps(result))


def run_child(mode: str, files: list[Path], limit: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--one", mode, "--limit", str(limit), "--files"]
    done = subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, check=True, cwd=HERE.parent
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(name: str, files: list[Path], repeat: int, jobs: int, subset_records: int) -> None:
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"\n== {name}: {len(files)} .evtx files, {size_mb:.1f} MB ==")
    modes = (
        ["bare-rust", "ingest-j1", f"ingest-j{jobs}"] if jobs > 1 else ["bare-rust", "ingest-j1"]
    )
    rates: dict[str, float] = {}
    for mode in [*modes, "python-evtx"]:
        runs = [
            run_child(mode, files, subset_records)
            for _ in range(1 if mode == "python-evtx" else repeat)
        ]
        rate = statistics.median(r["records"] / r["seconds"] for r in runs)
        rates[mode] = rate
        records = int(runs[0]["records"])
        rss = max(r["peak_rss_mb"] for r in runs)
        seconds = statistics.median(r["seconds"] for r in runs)
        ratio = rate / rates["bare-rust"]
        commit = ""
        if "commit_seconds" in runs[0]:
            commit = f"  (commit {statistics.median(r['commit_seconds'] for r in runs):.2f} s)"
        print(
            f"{mode:<12} {records:>9} records  {seconds:8.2f} s  {rate:>10,.0f} rec/s"
            f"  x{ratio:5.2f} of bare-rust  peak RSS {rss:6.0f} MB  ({len(runs)} runs, median)"
            + commit
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=Path, help="the shared samples folder")
    parser.add_argument("--fleet", type=Path, help="a fixture fleet folder (hivewatch fixtures)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--limit", type=int, default=2000, help="records for python-evtx")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args)
        return
    if args.samples:
        report("shared samples", evtx_files(args.samples), args.repeat, args.jobs, args.limit)
    if args.fleet:
        report("fixture fleet", evtx_files(args.fleet), args.repeat, args.jobs, args.limit)


if __name__ == "__main__":
    main()
