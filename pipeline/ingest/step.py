"""The per-file step: one file in, Parquet parts (events, and the facts of its profile
events) plus one ledger row out.

A pure function of its task (no shared state, nothing visible in the warehouse until the
batch commits), so a process pool or a distributed executor can run it.
"""

from __future__ import annotations

import gc
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.decode import DECODERS
from pipeline.decode.evtx import Engine
from pipeline.derive.facts import PART, facts_of, staged_facts_path
from pipeline.records import DecodeStats, EventRow
from pipeline.store.frame import frame

BATCH_ROWS = 50_000  # rows held in memory per file before they are written out
MAX_ERROR_CHARS = 2000
# Allocations between collections of the youngest generation while a file is read (Python's
# default: 700). The batch's rows survive, so by default a collection ran every few hundred
# records, and older generations, holding the batch and every imported module's objects,
# were walked again and again: 1.26 us of a record's ~10 us of decoding and framing went to
# collections, 0.44 us with this (bench/decode_floor.py, `frame` against `frame-gc700`).
# Collection still runs, for the reference cycles python-evtx's node trees make.
YOUNG_COLLECTION_THRESHOLD = 50_000


@dataclass(frozen=True)
class FileTask:
    path: str
    file_id: str
    format: str
    size_bytes: int
    engine: Engine
    staging_dir: str


@dataclass(frozen=True)
class FileResult:
    """One `ingest_files` row, less `ingested_at`, and the parts holding the file's rows."""

    file_id: str | None
    path: str
    format: str | None
    size_bytes: int | None
    records: int
    recovered: int
    skipped: int
    status: str
    error: str | None
    parts: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()  # the profile facts of those parts (derive/facts.py)


def run_step(task: FileTask) -> FileResult:
    """Decode one file into staging parts; damage becomes counts and reasons, never a raise."""
    stats = DecodeStats()
    parts: list[str] = []
    facts: list[pl.DataFrame] = []
    records = 0
    batch: list[EventRow] = []
    decoder = DECODERS.get(task.format)
    if decoder is None:
        return _result(task, 0, stats, [], f"no reader for {task.format} files yet")
    try:
        with fewer_collections():
            for row in decoder(Path(task.path), task.engine, stats):
                batch.append(row)
                if len(batch) >= BATCH_ROWS:
                    _write(task, batch, parts, facts, stats)
                    records += len(batch)
                    batch = []
    except Exception as exc:  # a decoder bug must not cost the rows already read
        stats.skip(f"reading stopped after {records + len(batch)} records: {_describe(exc)}")
    if batch:
        _write(task, batch, parts, facts, stats)
        records += len(batch)
    staged = _write_facts(task, facts)
    return _result(task, records, stats, parts, None, staged)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Garbage collection less often while a file is read; as it was afterwards. Steps that
    overlap in threads of one process may leave the higher threshold in place."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _write(
    task: FileTask,
    rows: list[EventRow],
    parts: list[str],
    facts: list[pl.DataFrame],
    stats: DecodeStats,
) -> None:
    """One staged part, named so that sorting names sorts by (file_id, position in file);
    the facts of its profile events, if it has any, go to `facts`. A record whose time
    could not be read is kept, without a time, and noted in `stats`."""
    part = str(Path(task.staging_dir) / f"{task.file_id}.{len(parts):05d}.parquet")
    events = frame(rows, task.format, task.file_id)
    untimed = events.get_column("time_created").null_count()
    if untimed:
        stats.problems.append(
            f"{untimed} records without a readable TimeCreated, kept with time_created NULL"
        )
    events.write_parquet(part, compression="zstd")
    parts.append(part)
    found = facts_of(events)
    if found.height:
        facts.append(found.insert_column(0, pl.repeat(part, found.height, eager=True).alias(PART)))


def _write_facts(task: FileTask, facts: list[pl.DataFrame]) -> list[str]:
    """The file's facts as one staged file (Arrow IPC: a tenth of a small Parquet file's
    fixed cost to write), or none."""
    found = pl.concat(facts) if facts else None
    if found is None or found.height == 0:
        return []
    path = staged_facts_path(task.staging_dir, task.file_id)
    found.write_ipc(path, compression="uncompressed")
    return [path]


def _result(
    task: FileTask,
    records: int,
    stats: DecodeStats,
    parts: list[str],
    refusal: str | None,
    facts: list[str] | None = None,
) -> FileResult:
    if refusal is not None:
        status, error = "rejected", refusal
    elif records == 0 and stats.skipped:
        status, error = "rejected", "nothing readable: " + _join(stats.problems)
    elif stats.problems:
        status, error = "partial", _join(stats.problems)
    else:
        status, error = "ok", None
    return FileResult(
        file_id=task.file_id,
        path=task.path,
        format=task.format,
        size_bytes=task.size_bytes,
        records=records,
        recovered=stats.recovered,
        skipped=stats.skipped,
        status=status,
        error=error,
        parts=tuple(parts),
        facts=tuple(facts or ()),
    )


def _join(problems: list[str]) -> str:
    text = "; ".join(problems)
    if len(text) <= MAX_ERROR_CHARS:
        return text
    shown: list[str] = []
    used = 0
    for problem in problems:
        if used + len(problem) > MAX_ERROR_CHARS:
            break
        shown.append(problem)
        used += len(problem) + 2
    return "; ".join(shown) + f"; (+{len(problems) - len(shown)} more)"


def _describe(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return f"{type(exc).__name__}: {exc}{place}"
