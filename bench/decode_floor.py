"""What per-record work costs beside bare pyevtx-rs iteration. Not part of the test suite.

    .venv/bin/python bench/decode_floor.py [--fleet bench/out/fleet-40x60] [--repeat 3]

The ingest bar of the foundation issue is half of bare pyevtx-rs iteration (records_json,
one thread, the record dropped as soon as it is seen). Every consumer of pyevtx-rs gets
each record as JSON text and must at least parse it. This measures, on the same files in
one run, each step the per-file step takes on top of iteration, alone:

  bare        iterate records_json(), drop each record (the baseline)
  keep        iterate, keeping the JSON texts of the file in a list (what any batching does)
  orjson      iterate, orjson.loads each text (the fastest parse into Python objects)
  duckdb      iterate, keep the texts, parse them in bulk with DuckDB's from_json into the
              System fields and the EventData text (a native parse, no Python per record)
  normalize   iterate, pipeline.normalize.json_event.row_from_json each record (our step)
  frame       normalize, then pipeline.store.frame.frame every 50,000 rows (typed columns),
              with garbage collection as the per-file step sets it (fewer_collections)
  frame-gc700 the same with Python's default collection threshold, as before

and prints the median records/s, the ratio to bare, the CPU microseconds per record and,
of those, the microseconds spent in Python's garbage collection (timed by gc.callbacks:
steadier than the totals on a shared machine).
At half of bare with N processes, each record may cost N * 2 * bare microseconds of CPU in
all: iteration, parse, normalisation, typing, the Parquet write, the facts, the commit.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import orjson
import polars as pl
from evtx import PyEvtxParser

from pipeline.ingest.step import fewer_collections
from pipeline.normalize.json_event import row_from_json
from pipeline.records import EventRow
from pipeline.store.frame import frame

HERE = Path(__file__).resolve().parent
FLEET = HERE / "out" / "fleet-40x60"
BATCH = 50_000
FIELDS = (
    '{"Event":{"System":{"Provider":{"#attributes":{"Name":"VARCHAR"}},"EventID":"JSON",'
    '"Level":"VARCHAR","TimeCreated":{"#attributes":{"SystemTime":"VARCHAR"}},'
    '"EventRecordID":"VARCHAR","Execution":{"#attributes":{"ProcessID":"VARCHAR",'
    '"ThreadID":"VARCHAR"}},"Channel":"VARCHAR","Computer":"VARCHAR",'
    '"Security":{"#attributes":{"UserID":"VARCHAR"}}},"EventData":"JSON","UserData":"JSON"}}'
)


class ArrowStream:
    """A Polars frame as DuckDB reads it without pyarrow: through the Arrow C stream."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


def records(files: list[Path]) -> Iterator[dict[str, Any]]:
    for path in files:
        yield from PyEvtxParser(str(path), number_of_threads=1, skip_errors=True).records_json()


def bare(files: list[Path]) -> int:
    count = 0
    for _ in records(files):
        count += 1
    return count


def keep(files: list[Path]) -> int:
    count = 0
    for path in files:
        texts = [r["data"] for r in records([path])]
        count += len(texts)
    return count


def parse_orjson(files: list[Path]) -> int:
    count = 0
    for record in records(files):
        orjson.loads(record["data"])
        count += 1
    return count


def parse_duckdb(files: list[Path]) -> int:
    count = 0
    with duckdb.connect() as con:
        con.execute("SET threads = 1")
        for path in files:
            texts = [r["data"] for r in records([path])]
            con.register("batch", ArrowStream(pl.DataFrame({"j": pl.Series(texts)})))
            parsed = con.sql(f"SELECT from_json(j, '{FIELDS}') AS e FROM batch")
            count += pl.DataFrame(parsed).height
    return count


def normalize(files: list[Path]) -> int:
    count = 0
    for record in records(files):
        row_from_json(record["event_record_id"], record["timestamp"], record["data"])
        count += 1
    return count


def normalize_and_frame(files: list[Path]) -> int:
    with fewer_collections():
        return _normalize_and_frame(files)


def _normalize_and_frame(files: list[Path]) -> int:
    count = 0
    rows: list[EventRow] = []
    for record in records(files):
        rows.append(row_from_json(record["event_record_id"], record["timestamp"], record["data"]))
        if len(rows) >= BATCH:
            count += frame(rows, "evtx", "x").height
            rows = []
    return count + frame(rows, "evtx", "x").height


MODES: dict[str, Callable[[list[Path]], int]] = {
    "bare": bare,
    "keep": keep,
    "orjson": parse_orjson,
    "duckdb": parse_duckdb,
    "normalize": normalize,
    "frame": normalize_and_frame,
    "frame-gc700": _normalize_and_frame,
}


class CollectionClock:
    """Seconds spent in garbage collection while installed in gc.callbacks."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleet", type=Path, default=FLEET)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # pyevtx-rs reports skipped records as warnings
    files = sorted(p for p in args.fleet.rglob("*.evtx") if p.is_file())
    if not files:
        raise SystemExit(f"no .evtx files under {args.fleet} (make bench writes the fleet)")
    seconds: dict[str, list[float]] = {name: [] for name in MODES}
    collecting: dict[str, list[float]] = {name: [] for name in MODES}
    counts: dict[str, int] = {}
    for _ in range(args.repeat):  # modes interleaved, so drift in load hits them alike
        for name, run in MODES.items():
            clock = CollectionClock()
            gc.callbacks.append(clock)
            started = time.process_time()
            counts[name] = run(files)
            seconds[name].append(time.process_time() - started)
            gc.callbacks.remove(clock)
            collecting[name].append(clock.seconds)
    print(f"== {len(files)} .evtx files, {counts['bare']:,} records, CPU time, median ==")
    base = statistics.median(seconds["bare"]) / counts["bare"]
    for name in MODES:
        per = statistics.median(seconds[name]) / counts[name]
        rate = f"{1 / per:>10,.0f} rec/s  x{base / per:5.2f} of bare"
        in_gc = statistics.median(collecting[name]) / counts[name]
        print(f"{name:<11} {rate}  {per * 1e6:6.2f} us  (in gc {in_gc * 1e6:4.2f} us)")
    print(f"at x0.50 of bare, N processes: N x {2 * base * 1e6:.2f} us of CPU per record in all")


if __name__ == "__main__":
    main()
