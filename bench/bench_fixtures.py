"""Time the fixture generator on a benchmark-sized fleet.

    .venv/bin/python bench/bench_fixtures.py [--hosts 40] [--days 60] [--repeat 3] [--jobs N]

Prints the median wall-clock seconds of `write_fleet` and the records written per second.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from pipeline.synth.fleet import write_fleet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    seconds, summary = [], None
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="hivewatch-bench-") as tmp:
            start = time.perf_counter()
            summary = write_fleet(Path(tmp), hosts=args.hosts, days=args.days, jobs=args.jobs)
            seconds.append(time.perf_counter() - start)
    assert summary is not None
    median = statistics.median(seconds)
    print(
        f"fixtures --hosts {args.hosts} --days {args.days}: {summary.files} files, "
        f"{summary.records} records ({summary.records_written} written), "
        f"{summary.incidents} incidents"
    )
    rate = summary.records_written / median
    print(f"median {median:.2f} s over {args.repeat} runs, {rate:,.0f} records/s")


if __name__ == "__main__":
    main()
