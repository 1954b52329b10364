"""`ingest --scheduler local`: one Dask worker against two. Not part of the test suite.

    .venv/bin/python bench/dask_bench.py [--fleet bench/out/fleet-40x60] [--repeat 3]

The fleet is the half-million-record one of `make bench`; when missing, make it with
    .venv/bin/hivewatch fixtures bench/out/fleet-40x60 --hosts 40 --days 60 --formats evtx

It starts a LocalCluster of one worker and one of two (start-up timed apart), then ingests
the fleet `--repeat` times on each, alternating, into fresh warehouses, `--jobs` equal to the
workers as the CLI does. It prints medians of the whole batch and of its phases: read (the
per-file step on the workers, overlapped with hashing and sniffing the files in threads on
the client), commit (deduplication, derived tables, catalog, on the client). The speed-up
is the one-worker median over the two-worker median.
`--local` adds the local process pool (`--jobs 1`, `--jobs 2`) for reference. The machines
are shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import psutil

from pipeline.ingest.dask_run import LOCAL, DaskRunner, connect
from pipeline.ingest.run import ingest
from pipeline.store.warehouse import Warehouse

HERE = Path(__file__).resolve().parent
FLEET = HERE / "out" / "fleet-40x60"
GOAL = 1.6


class Marks:
    """A `run.Progress` noting when the last file was read."""

    def __init__(self) -> None:
        self.read = 0.0

    def planned(self, files: int) -> None:
        pass

    def done(self, path: str, outcome: str) -> None:
        self.read = time.perf_counter()


def cpu_seconds(processes: list[psutil.Process]) -> float:
    return sum(t.user + t.system for t in (p.cpu_times() for p in processes))


def one_batch(fleet: Path, workers: int, runner: DaskRunner | None) -> dict[str, float]:
    """One timed batch; with a runner, also the CPU seconds of this process (hashing, Dask's
    client and scheduler, the commit) and of the workers."""
    root = Path(tempfile.mkdtemp(prefix="hw-dask-bench-"))
    marks = Marks()
    client = [psutil.Process()]
    pids = runner.client.run(os.getpid).values() if runner is not None else []
    cluster = [psutil.Process(pid) for pid in pids]
    client_before, cluster_before = cpu_seconds(client), cpu_seconds(cluster)
    try:
        started = time.perf_counter()
        summary = ingest(
            [fleet],
            Warehouse(root / "wh"),
            jobs=workers,
            engine="auto",
            progress=marks,
            executor=runner,
        )
        ended = time.perf_counter()
        client_cpu, cluster_cpu = cpu_seconds(client), cpu_seconds(cluster)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "total": ended - started,
        "read": marks.read - started,
        "commit": ended - marks.read,
        "records": summary.records,
        "client_cpu": client_cpu - client_before,
        "worker_cpu": cluster_cpu - cluster_before,
    }


def report(name: str, runs: list[dict[str, float]], startup: float | None) -> dict[str, float]:
    medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    totals = ", ".join(f"{r['total']:.2f}" for r in runs)
    print(
        f"{name:<16} {int(medians['records']):>8} records"
        f"  total {medians['total']:6.2f} s ({medians['records'] / medians['total']:>7,.0f} rec/s)"
        f"  read {medians['read']:6.2f}"
        f"  commit {medians['commit']:5.2f}"
        + (f"  cluster start {startup:4.1f} s" if startup is not None else "")
        + f"  runs: {totals}"
    )
    if medians["worker_cpu"]:
        print(
            f"{'':<16} CPU: workers {medians['worker_cpu']:5.2f} s,"
            f" this process {medians['client_cpu']:5.2f} s (hashing, Dask client and"
            " scheduler, commit)"
        )
    return medians


def compare(fleet: Path, repeat: int, local: bool) -> tuple[dict[str, float], dict[str, float]]:
    """Both clusters up at once and their runs interleaved (1, 2, 1, 2, ...), so that a
    change in the machine's load falls on both and not on one of them."""
    with ExitStack() as stack:
        runners: dict[int, DaskRunner] = {}
        startup: dict[int, float] = {}
        for workers in (1, 2):
            started = time.perf_counter()
            runners[workers] = stack.enter_context(connect(LOCAL, workers))
            startup[workers] = time.perf_counter() - started
        runs: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        for _ in range(repeat):
            for workers in (1, 2):
                runs[workers].append(one_batch(fleet, workers, runners[workers]))
    one = report("dask, 1 worker", runs[1], startup[1])
    two = report("dask, 2 workers", runs[2], startup[2])
    if local:
        for jobs in (1, 2):
            batches = [one_batch(fleet, jobs, None) for _ in range(repeat)]
            report(f"local --jobs {jobs}", batches, None)
    return one, two


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fleet", type=Path, default=FLEET)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--local", action="store_true", help="also the local process pool, for reference"
    )
    args = parser.parse_args()
    if not args.fleet.is_dir():
        parser.error(f"{args.fleet} is missing; see the command at the top of this file")
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    files = [p for p in args.fleet.rglob("*.evtx") if p.is_file()]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"{args.fleet}: {len(files)} .evtx files, {size_mb:.0f} MB, medians of {args.repeat}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    one, two = compare(args.fleet, args.repeat, args.local)
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    total = one["total"] / two["total"]
    read = one["read"] / two["read"]
    verdict = "meets" if total >= GOAL else "misses"
    print(
        f"speed-up with two workers: x{total:.2f} for the batch ({verdict} the x{GOAL} goal),"
        f" x{read:.2f} for the read phase alone"
    )


if __name__ == "__main__":
    main()
