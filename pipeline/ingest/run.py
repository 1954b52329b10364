"""One ingest batch: find the inputs, decide what is new, read it in parallel, commit once."""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Protocol

import polars as pl

from pipeline.decode.evtx import Engine
from pipeline.derive.build import commit_derived, needs_rebuild
from pipeline.errors import UsageError
from pipeline.ingest.local_pool import LocalPool
from pipeline.ingest.step import FileResult, FileTask, run_step
from pipeline.read.probe import Probe, probe, walk
from pipeline.store.catalog import read_parts
from pipeline.store.schemas import INGEST_FILES
from pipeline.store.warehouse import LedgerEntry, Warehouse


class Progress(Protocol):
    """Told how many files a batch offers, then of each one as its outcome is known:
    `ok`, `partial`, `rejected` or `duplicate` (its ledger status), or `unchanged`."""

    def planned(self, files: int) -> None: ...

    def done(self, path: str, outcome: str) -> None: ...


class Executor(Protocol):
    """Runs the per-file step somewhere else (a Dask cluster: `dask_run.DaskRunner`) and
    yields each task's result as it completes."""

    def run(self, tasks: Iterable[FileTask]) -> Iterator[FileResult]: ...


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


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def ingest(
    inputs: Iterable[Path],
    warehouse: Warehouse,
    *,
    jobs: int,
    engine: Engine,
    progress: Progress | None = None,
    executor: Executor | None = None,
    exclude: Sequence[str] = (),
) -> Summary:
    """Read every new input into the warehouse as one atomic batch; the files are read by
    `executor` when given, else in `jobs` local processes. What folders hold is skipped
    where it matches an `exclude` pattern (`probe.excluded`).

    Files are hashed in threads and each is handed to a reader as soon as it is known to be
    new, largest first, so hashing a large batch overlaps reading it."""
    started = time.perf_counter()
    root = warehouse.root.resolve()
    inputs = list(inputs)
    for given in inputs:
        if _inside(given, root):
            raise UsageError(f"{given} is the warehouse or inside it; give the folders of logs")
    context = worker_context() if executor is None and jobs > 1 else None
    with warehouse.writing():
        paths = [p for p in walk(inputs, exclude) if not _inside(p, root)]
        if progress is not None:
            progress.planned(len(paths))
        batch, staging = warehouse.new_staging()
        ledger = warehouse.ledger()
        planner = Planner(ledger, engine, str(staging), progress)
        hashing = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            probes = hashing.map(probe, largest_first(paths))
            results = run_tasks(planner.tasks(probes), jobs, progress, executor, context)
        finally:  # on a failure (Ctrl-C, a lost cluster), do not hash the rest first
            hashing.shutdown(wait=True, cancel_futures=True)
        outcomes = [*results, *planner.settled]
        rows = new_rows(outcomes, ledger)
        committed = 0
        if rows or needs_rebuild(read_parts(root)):
            parts = [part for r in results for part in r.parts]
            facts = [part for r in results for part in r.facts]
            derive = partial(commit_derived, staged_facts=facts)
            commit = warehouse.commit(batch, parts, ledger_frame(rows), derive, ledger)
            committed = commit.new_events
        else:  # nothing new: no commit to remove the batch's (empty) staging folder
            shutil.rmtree(staging, ignore_errors=True)
    return summarise(outcomes, len(planner.unchanged), committed, time.perf_counter() - started)


def largest_first(paths: Sequence[Path]) -> list[Path]:
    """`paths` by size, largest first, so that one big file does not finish alone at the
    end; equal sizes keep their order, so copies of one content (equal sizes) are met in
    the order given and the first is the one read."""
    return [path for _, _, path in sorted((-_size(p), i, p) for i, p in enumerate(paths))]


class Planner:
    """Decides, per probed file, whether to read it, record it without reading, or skip it.

    A (content, path) pair already read is unchanged and adds nothing. Content already read
    from another path, or met earlier in this batch, is a `duplicate`. Unreadable inputs
    are `rejected`; one rejected before is tried again (a newer Hivewatch may read it), and
    `new_rows` drops the repeat if it fails the same way.
    """

    def __init__(
        self, ledger: list[LedgerEntry], engine: Engine, staging: str, progress: Progress | None
    ) -> None:
        self.known = {(e.file_id, e.path): e for e in ledger if e.status != "rejected"}
        self.names: dict[str, list[LedgerEntry]] = {}  # content -> the paths it was met at
        for e in self.known.values():
            if e.file_id is not None:
                self.names.setdefault(e.file_id, []).append(e)
        self.read_from = {e.file_id: e.path for e in ledger if e.status in ("ok", "partial")}
        self.engine = engine
        self.staging = staging
        self.progress = progress
        self.settled: list[FileResult] = []  # rejected and duplicate files: ledger rows
        self.unchanged: list[LedgerEntry] = []

    def tasks(self, probes: Iterable[Probe]) -> Iterator[FileTask]:
        """The files to read among `probes`, each as soon as its probe is in."""
        for p in probes:
            task = self.decide(p)
            if task is not None:
                yield task

    def decide(self, p: Probe) -> FileTask | None:
        entry = self.known.get((p.file_id, p.path)) or self._same_file(p)
        if entry is not None:
            self.unchanged.append(entry)
            self._tell(p.path, "unchanged")
        elif p.error is not None or p.format is None or p.file_id is None:
            self._settle(p, "rejected", p.error or "unreadable")
        elif p.file_id in self.read_from:
            self._settle(p, "duplicate", f"same content as {self.read_from[p.file_id]}")
        else:
            self.read_from[p.file_id] = p.path
            size = p.size_bytes or 0
            return FileTask(p.path, p.file_id, p.format, size, self.engine, self.staging)
        return None

    def _same_file(self, p: Probe) -> LedgerEntry | None:
        """The ledger's entry for this very file under another name (a relative path given
        from elsewhere, a link), if its content was met before: the same file, unchanged."""
        for entry in self.names.get(p.file_id or "", []):
            try:
                if os.path.samefile(entry.path, p.path):
                    return entry
            except OSError:  # that name is gone, or was relative to another folder
                continue
        return None

    def _settle(self, p: Probe, status: str, reason: str) -> None:
        self.settled.append(
            FileResult(p.file_id, p.path, p.format, p.size_bytes, 0, 0, 0, status, reason)
        )
        self._tell(p.path, status)

    def _tell(self, path: str, outcome: str) -> None:
        if self.progress is not None:
            self.progress.done(path, outcome)


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
    tasks: Iterable[FileTask],
    jobs: int,
    progress: Progress | None = None,
    executor: Executor | None = None,
    context: BaseContext | None = None,
) -> list[FileResult]:
    """Run the per-file step on every task, each as it arrives: on `executor` when given,
    inline for one job, else in worker processes from `context` (by default a fresh
    `worker_context()`)."""
    results: list[FileResult] = []

    def done(result: FileResult) -> None:
        results.append(result)
        if progress is not None:
            progress.done(result.path, result.status)

    if executor is not None:
        for result in executor.run(tasks):
            done(result)
        return results
    if jobs <= 1:
        for task in tasks:
            done(run_step(task))
        return results
    for result in LocalPool(run_step, jobs, context or worker_context()).run(tasks):
        done(result)
    return results


def ledger_frame(rows: list[FileResult]) -> pl.DataFrame:
    now = datetime.now(UTC).replace(tzinfo=None)
    data = {name: [getattr(r, name) for r in rows] for name in INGEST_FILES.names[:-1]}
    data["ingested_at"] = [now] * len(rows)
    return pl.DataFrame(data, schema=INGEST_FILES.polars_schema)


def summarise(
    outcomes: list[FileResult], unchanged: int, new_events: int, seconds: float
) -> Summary:
    summary = Summary(unchanged=unchanged, new_events=new_events, seconds=seconds)
    summary.offered = len(outcomes) + unchanged
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


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # `probe` says why


def _inside(path: Path, root: Path) -> bool:
    """Files of the warehouse itself are never inputs, even when a parent folder is offered."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop; `probe` says so
        return False
