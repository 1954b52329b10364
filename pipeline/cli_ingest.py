"""`hivewatch ingest`: progress on a terminal, the one-line summary, the exit code."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from types import FrameType
from typing import Any, cast

import click

from pipeline.decode.evtx import Engine
from pipeline.ingest.run import Executor, default_jobs, ingest
from pipeline.store.warehouse import Warehouse


class _Bar:
    """A progress bar over the offered files, on stderr when it is a terminal; silent
    otherwise. Unchanged, duplicate and unreadable files pass as soon as they are hashed."""

    def __init__(self) -> None:
        self.bar: Any = None

    def planned(self, files: int) -> None:
        if sys.stderr.isatty() and files:
            self.bar = click.progressbar(
                length=files, label="reading", file=sys.stderr, show_pos=True
            )
            self.bar.__enter__()

    def done(self, path: str, outcome: str) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def run_ingest(
    paths: list[Path],
    warehouse: Path,
    jobs: int | None,
    engine: str,
    scheduler: str | None = None,
    exclude: Sequence[str] = (),
) -> int:
    """Ingest `paths`, less what folders hold that matches `exclude`; with `scheduler`
    (tcp://HOST:PORT, or `local` for a LocalCluster of `jobs` workers) the files are read
    by the workers of a Dask cluster."""
    workers = jobs or default_jobs()
    bar = _Bar()
    try:
        with _terminated_as_interrupted(), _executor(scheduler, workers) as executor:
            summary = ingest(
                paths,
                Warehouse(warehouse),
                jobs=workers,
                engine=cast(Engine, engine),
                progress=bar,
                executor=executor,
                exclude=exclude,
            )
    finally:
        bar.close()
    for path, reason in summary.rejected:
        click.echo(f"hivewatch: rejected {path}: {reason}", err=True)
    click.echo(summary.line())
    return 1 if summary.rejected else 0


@contextmanager
def _terminated_as_interrupted() -> Iterator[None]:
    """SIGTERM (`kill`, `timeout`, a service stop) takes the path of Ctrl-C: the worker
    processes are stopped and nothing of the batch is committed. Left to its default, it
    would kill this process alone and orphan its workers."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _executor(scheduler: str | None, workers: int) -> AbstractContextManager[Executor | None]:
    """No scheduler: None, the local process pool, and Dask is never imported."""
    if scheduler is None:
        return nullcontext()
    from pipeline.ingest.dask_run import check_scheduler, connect

    return connect(check_scheduler(scheduler), workers)
