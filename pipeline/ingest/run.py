"""One ingest batch: find the inputs, decide what is new, read it in parallel, commit once."""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Protocol

import polars as pl

from pipeline.decode.evtx import Engine
from pipeline.derive.build import commit_derived, needs_rebuild
from pipeline.ingest.step import FileResult, FileTask, run_step
from pipeline.read.probe import Probe, probe, walk
from pipeline.store.catalog import read_parts
from pipeline.store.schemas import INGEST_FILES
from pipeline.store.warehouse import LedgerEntry, Warehouse

Progress = Callable[[FileResult], None]


class Executor(Protocol):
    """Runs the per-file step somewhere else (a Dask cluster: `dask_run.DaskRunner`) and
    yields each task's result as it completes."""

    def run(self, tasks: Sequence[FileTask]) -> Iterator[FileResult]: ...


@dataclass
class Summary:
    """What a batch did; `rejected` lists (path, reason) of inputs that could not be read."""

    offered: int = 0
    read: int = 0
    unchanged: int = 0
    duplicates: int = 0
    partial: int = 0
    records: int = 0
    new_events: int = 0
    recovered: int = 0
    skipped: int = 0
    seconds: float = 0.0
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.offered} files ({self.read} read, {self.unchanged} unchanged, "
            f"{self.duplicates} duplicate, {self.partial} partial, {len(self.rejected)} rejected), "
            f"{self.records} records ({self.new_events} new), {self.recovered} recovered, "
            f"{self.skipped} skipped, {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class Plan:
    tasks: list[FileTask]
    settled: list[FileResult]  # rejected and duplicate files: ledger rows without reading
    unchanged: list[LedgerEntry]


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def ingest(
    inputs: Iterable[Path],
    warehouse: Warehouse,
    *,
    jobs: int,
    engine: Engine,
    on_planned: Callable[[int], None] | None = None,
    on_file: Progress | None = None,
    executor: Executor | None = None,
) -> Summary:
    """Read every new input into the warehouse as one atomic batch; the files are read by
    `executor` when given, else in `jobs` local processes."""
    started = time.perf_counter()
    context = worker_context() if executor is None and jobs > 1 else None
    with warehouse.writing():
        root = warehouse.root.resolve()
        paths = [p for p in walk(inputs) if not _inside(p, root)]
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            probes = list(pool.map(probe, paths))
        batch, staging = warehouse.new_staging()
        ledger = warehouse.ledger()
        plan = make_plan(probes, ledger, engine, str(staging))
        if on_planned is not None:
            on_planned(len(plan.tasks))
        results = run_tasks(plan.tasks, jobs, on_file, executor, context)
        outcomes = [*results, *plan.settled]
        rows = new_rows(outcomes, ledger)
        committed = 0
        if rows or needs_rebuild(read_parts(root)):
            parts = [part for r in results for part in r.parts]
            facts = [part for r in results for part in r.facts]
            derive = partial(commit_derived, staged_facts=facts)
            commit = warehouse.commit(batch, parts, ledger_frame(rows), derive=derive)
            committed = commit.new_events
    return summarise(outcomes, plan, committed, time.perf_counter() - started)


def make_plan(probes: list[Probe], ledger: list[LedgerEntry], engine: Engine, staging: str) -> Plan:
    """Decide, per offered file, whether to read it, record it without reading, or skip it.

    A (content, path) pair already read is unchanged and adds nothing. Content already read
    from another path is a `duplicate`. Unreadable inputs are `rejected`; one rejected before
    is tried again (a newer Hivewatch may read it), and `new_rows` drops the repeat if it
    fails the same way.
    """
    known = {(e.file_id, e.path): e for e in ledger if e.status != "rejected"}
    read_from = {e.file_id: e.path for e in ledger if e.status in ("ok", "partial")}
    tasks: list[FileTask] = []
    settled: list[FileResult] = []
    unchanged: list[LedgerEntry] = []
    for p in probes:
        entry = known.get((p.file_id, p.path))
        if entry is not None:
            unchanged.append(entry)
        elif p.error is not None or p.format is None or p.file_id is None:
            settled.append(_settled(p, "rejected", p.error or "unreadable"))
        elif p.file_id in read_from:
            settled.append(_settled(p, "duplicate", f"same content as {read_from[p.file_id]}"))
        else:
            read_from[p.file_id] = p.path
            size = p.size_bytes or 0
            tasks.append(FileTask(p.path, p.file_id, p.format, size, engine, staging))
    return Plan(tasks, settled, unchanged)


def new_rows(outcomes: list[FileResult], ledger: list[LedgerEntry]) -> list[FileResult]:
    """The ledger rows this batch adds, in path order: a rejection already on record with the
    same reason is not recorded twice, so re-ingesting the same inputs adds nothing."""
    on_record = {(e.file_id, e.path, e.error) for e in ledger if e.status == "rejected"}
    fresh = [
        r
        for r in outcomes
        if r.status != "rejected" or (r.file_id, r.path, r.error) not in on_record
    ]
    return sorted(fresh, key=lambda r: (r.path, r.file_id or ""))


def worker_context() -> BaseContext:
    """Where worker processes come from, started now so that their imports overlap the
    probing of the inputs.

    A fork server that has already imported the per-file step forks each worker in
    milliseconds; spawning one costs a fresh interpreter and its imports (~0.2 s each). The
    server starts with nothing but that import (no threads), so forking it is safe, unlike
    forking this process once DuckDB or Polars have started their thread pools."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([run_step.__module__])
    multiprocessing.forkserver.ensure_running()
    return context


def run_tasks(
    tasks: list[FileTask],
    jobs: int,
    on_file: Progress | None,
    executor: Executor | None = None,
    context: BaseContext | None = None,
) -> list[FileResult]:
    """Run the per-file step on every task: on `executor` when given, inline for one job,
    else in worker processes from `context` (by default a fresh `worker_context()`)."""
    results: list[FileResult] = []

    def done(result: FileResult) -> None:
        results.append(result)
        if on_file is not None:
            on_file(result)

    if executor is not None:
        for result in executor.run(tasks):
            done(result)
        return results

    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            done(run_step(task))
        return results
    # Largest files first, so that one big file does not finish alone at the end.
    ordered = sorted(tasks, key=lambda t: -t.size_bytes)
    context = context or worker_context()
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        futures: dict[Future[FileResult], FileTask] = {
            pool.submit(run_step, task): task for task in ordered
        }
        for future in as_completed(futures):
            done(_outcome(future, futures[future]))
    return results


def _outcome(future: Future[FileResult], task: FileTask) -> FileResult:
    try:
        return future.result()
    except BrokenProcessPool:
        reason = "the worker process reading it died (out of memory or killed)"
    except Exception as exc:  # the step itself never raises; this is a pickling or pool failure
        reason = f"worker failed: {type(exc).__name__}: {exc}"
    return FileResult(
        task.file_id, task.path, task.format, task.size_bytes, 0, 0, 0, "rejected", reason
    )


def ledger_frame(rows: list[FileResult]) -> pl.DataFrame:
    now = datetime.now(UTC).replace(tzinfo=None)
    data = {name: [getattr(r, name) for r in rows] for name in INGEST_FILES.names[:-1]}
    data["ingested_at"] = [now] * len(rows)
    return pl.DataFrame(data, schema=INGEST_FILES.polars_schema)


def summarise(outcomes: list[FileResult], plan: Plan, new_events: int, seconds: float) -> Summary:
    summary = Summary(unchanged=len(plan.unchanged), new_events=new_events, seconds=seconds)
    summary.offered = len(outcomes) + len(plan.unchanged)
    for r in sorted(outcomes, key=lambda r: r.path):
        summary.records += r.records
        summary.recovered += r.recovered
        summary.skipped += r.skipped
        if r.status == "rejected":
            summary.rejected.append((r.path, r.error or "unreadable"))
        elif r.status == "duplicate":
            summary.duplicates += 1
        else:
            summary.read += 1
            summary.partial += r.status == "partial"
    return summary


def _settled(p: Probe, status: str, reason: str) -> FileResult:
    return FileResult(p.file_id, p.path, p.format, p.size_bytes, 0, 0, 0, status, reason)


def _inside(path: Path, root: Path) -> bool:
    """Files of the warehouse itself are never inputs, even when a parent folder is offered."""
    try:
        return path.resolve().is_relative_to(root)
    except OSError:
        return False
