"""The per-file step in local worker processes: files submitted as they come, results as
they finish, and a worker's death blamed on the file that caused it alone.

A process that dies (the out-of-memory killer, a crash in a native decoder) breaks a
`ProcessPoolExecutor`: every file then in flight fails with it, and nothing more can be
submitted. The files that were in flight are suspects: each is read again alone, in a pool
of its own; the one that kills its worker again is `rejected`, the others are read. Then a
fresh pool takes the rest of the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from queue import SimpleQueue

from pipeline.ingest.step import FileResult, FileTask

Step = Callable[[FileTask], FileResult]
DIED = "the worker process reading it died (out of memory or killed)"


class LocalPool:
    """Runs `step` on tasks in up to `jobs` processes from `context`."""

    def __init__(self, step: Step, jobs: int, context: BaseContext) -> None:
        self.step = step
        self.jobs = jobs
        self.context = context

    def run(self, tasks: Iterable[FileTask]) -> Iterator[FileResult]:
        """Each task's result, in the order they finish."""
        finished: SimpleQueue[Future[FileResult]] = SimpleQueue()
        running: dict[Future[FileResult], FileTask] = {}
        waiting: list[FileTask] = []  # refused by a broken pool, not yet submitted
        pool = self._pool()
        try:
            for task in tasks:
                waiting.append(task)
                while waiting:
                    try:
                        future = pool.submit(self.step, waiting[0])
                    except BrokenProcessPool:
                        pool = yield from self._recover(pool, finished, running)
                        continue
                    running[future] = waiting.pop(0)
                    future.add_done_callback(finished.put)
                # what finished while the next file was hashed
                pool = yield from self._collect(pool, finished, running, wait=False)
            pool = yield from self._collect(pool, finished, running, wait=True)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _collect(
        self,
        pool: ProcessPoolExecutor,
        finished: SimpleQueue[Future[FileResult]],
        running: dict[Future[FileResult], FileTask],
        *,
        wait: bool,
    ) -> Generator[FileResult, None, ProcessPoolExecutor]:
        """The results of files that finished (`wait`: of every file in flight); returns
        the pool to go on with, a fresh one if this one broke."""
        while running and (wait or not finished.empty()):
            future = finished.get()
            if _broke(future):
                finished.put(future)
                return (yield from self._recover(pool, finished, running))
            yield _result(future, running.pop(future))
        return pool

    def _recover(
        self,
        broken: ProcessPoolExecutor,
        finished: SimpleQueue[Future[FileResult]],
        running: dict[Future[FileResult], FileTask],
    ) -> Generator[FileResult, None, ProcessPoolExecutor]:
        """Settle every file in flight in the broken pool: results of those that finished,
        then the suspects read again one by one; returns a fresh pool."""
        suspects: list[FileTask] = []
        while running:  # every future of a broken pool completes, most with the breakage
            future = finished.get()
            task = running.pop(future)
            if _broke(future):
                suspects.append(task)
            else:
                yield _result(future, task)
        broken.shutdown(wait=True)
        for task in suspects:
            yield self._alone(task)
        return self._pool()

    def _alone(self, task: FileTask) -> FileResult:
        with ProcessPoolExecutor(max_workers=1, mp_context=self.context) as single:
            future = single.submit(self.step, task)
            try:
                return future.result()
            except BrokenProcessPool:
                return rejected(task, DIED)
            except Exception as exc:  # pickling or pool failure: the step itself never raises
                return rejected(task, f"worker failed: {type(exc).__name__}: {exc}")

    def _pool(self) -> ProcessPoolExecutor:
        # Workers are started on demand, up to `jobs`: a batch of one file starts one.
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=self.context)


def rejected(task: FileTask, reason: str) -> FileResult:
    return FileResult(
        task.file_id, task.path, task.format, task.size_bytes, 0, 0, 0, "rejected", reason
    )


def _broke(future: Future[FileResult]) -> bool:
    return isinstance(future.exception(), BrokenProcessPool)


def _result(future: Future[FileResult], task: FileTask) -> FileResult:
    error = future.exception()
    if error is None:
        return future.result()
    return rejected(task, f"worker failed: {type(error).__name__}: {error}")
