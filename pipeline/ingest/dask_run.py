"""The per-file step on a Dask cluster: submit FileTasks, yield FileResults as they complete.

Small files travel in bundles of a few megabytes, one bundle a Dask task (`bundles`).

Only `hivewatch ingest --scheduler ...` imports this module, so a local ingest never pays
for Dask. The workers run `run_step` exactly as the local process pool does, writing parts
into the warehouse's `_staging/<batch>/`; the commit stays on the client (`run.ingest`).

Paths: the client sends absolute paths (inputs and staging resolved against its own working
directory) and puts the paths as given back into the results, so the ledger is the one a
local ingest writes. Every worker must therefore see the inputs and the warehouse at the
same absolute paths as the client (docs/scale-out.md).

Failures: an exception in the step is retried (`RETRIES`); a worker that dies while reading
a bundle is replaced and the bundle rescheduled by Dask until the scheduler's
`allowed-failures` is spent. A bundle that failed is then tried again one file per task,
and the file that fails alone is `rejected` with the reason. Each attempt
writes into a folder of its own, so the parts of an abandoned attempt are never listed by
the commit and go with the staging folder.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import socket
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path

import dask
from distributed import Client, Future, KilledWorker, LocalCluster, as_completed

from pipeline.errors import HivewatchError, UsageError
from pipeline.ingest.step import FileResult, FileTask, run_step

LOCAL = "local"
CONNECT_SECONDS = 10.0  # to reach the scheduler, then again for its first worker
MAX_GROUP = 64  # tasks submitted at once, at most (see DaskRunner.run)
BUNDLE_BYTES = 4_000_000  # small files go to a worker together, this much input a task
BUNDLE_FILES = 8  # and at most this many, so that a small batch still spreads
RETRIES = 2  # an exception in the step (a shared mount that hiccuped) is tried again
# Tasks are coarse and without dependencies: a worker holds only the bundle it is reading,
# so a worker's death is blamed on that bundle alone (whose files are then tried one by
# one), and not on bundles queued behind it.
# The workers' statistical profiler (a stack sample every 10 ms, for a dashboard the local
# cluster does not serve) is off: the step is pure Python and every sample takes the GIL.
LOCAL_CONFIG = {
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.worker.profile.enabled": False,
}
_ADDRESS = re.compile(r"^tcp://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")

Step = Callable[[FileTask], FileResult]


class SchedulerUnavailable(HivewatchError):
    """The Dask scheduler cannot be reached, has no workers, or was lost mid-batch."""


def check_scheduler(address: str) -> str:
    """`local` or `tcp://HOST:PORT`; anything else is a usage error."""
    match = _ADDRESS.match(address)
    if address == LOCAL or (match is not None and 0 < int(match.group(2)) < 65536):
        return address
    raise UsageError(f"--scheduler wants tcp://HOST:PORT or local, not {address!r}")


class DaskRunner:
    """Runs FileTasks on the workers of a connected Dask client."""

    def __init__(
        self, client: Client, where: str, *, step: Step = run_step, retries: int = RETRIES
    ) -> None:
        self.client = client
        self.where = where  # the scheduler, for messages
        self.step = step
        self.retries = retries

    def run(self, tasks: Iterable[FileTask]) -> Iterator[FileResult]:
        """Submit the tasks as they arrive (the batch hands them over largest file first),
        in bundles of small files (`bundles`) and in growing groups; yield each file's
        result as its bundle completes.

        One submission of many tasks costs the scheduler much less than as many single
        ones (~0.7 ms a task on a local cluster), so the first bundle goes out alone, at
        once, then groups of 2, 4, ... up to `MAX_GROUP`."""
        pending = bundles(tasks, BUNDLE_BYTES)
        first = next(pending, None)
        if first is None:
            return
        self._check_workers(_absolute(first[0].staging_dir))
        token = secrets.token_hex(8)  # keys of this batch only, even on a shared cluster
        futures: dict[Future[list[FileResult]], list[FileTask]] = {}
        submitted = itertools.count()
        # Results come with their futures: fetched as each completes, ~15% less client work
        # a task than asking each future for its result. On this client's loop: by default
        # `as_completed` takes the last client made in the process, and with two (a bench,
        # a test) it would wait on the wrong one for ever.
        completed = as_completed(loop=self.client.loop, with_results=True, raise_errors=False)

        def submit(group: list[list[FileTask]]) -> None:
            # Keys in rank order: the scheduler queues the bundles and hands them out in
            # the order they came, one bundle per worker thread.
            keys = [f"hivewatch-read-{token}-{next(submitted):08d}" for _ in group]
            new = self.client.map(
                partial(read_bundle, self.step),
                [[_for_workers(task) for task in bundle] for bundle in group],
                key=keys,
                retries=self.retries,
                pure=False,
            )
            futures.update(zip(new, group, strict=True))
            completed.update(new)

        def finish(ready: Future[list[FileResult]], result: object) -> list[FileResult]:
            bundle = futures.pop(ready)
            if not isinstance(result, list):
                result = _fetched(ready, bundle[0])
            if isinstance(result, list):
                return [replace(r, path=t.path) for t, r in zip(bundle, result, strict=True)]
            if len(bundle) == 1:
                return [result]
            # One file that kills its worker or fails must not take the others with it:
            # each is tried again alone, and only the guilty one ends up rejected.
            submit([[task] for task in bundle])
            return []

        try:
            group = [first]
            while group:
                submit(group)
                for ready, result in completed.next_batch(block=False):  # while hashing
                    yield from finish(ready, result)
                size = min(MAX_GROUP, 2 * len(group))
                group = list(itertools.islice(pending, size))
            for ready, result in completed:
                yield from finish(ready, result)
        except BaseException:
            self.client.cancel(list(futures))
            raise

    def _check_workers(self, staging: str) -> None:
        """Fail before reading anything when no worker is there or one cannot write parts."""
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except (TimeoutError, OSError):
            raise SchedulerUnavailable(f"the Dask scheduler {self.where} has no workers") from None
        answers: dict[str, str | None] = self.client.run(staging_problem, staging)
        for worker, problem in sorted(answers.items()):
            if problem is not None:
                raise SchedulerUnavailable(
                    f"worker {worker} {problem}: the warehouse must be on a folder every "
                    "worker shares, at the same absolute path as here"
                )


def bundles(tasks: Iterable[FileTask], limit: int) -> Iterator[list[FileTask]]:
    """Consecutive tasks gathered until they hold `limit` bytes of input between them, or
    `BUNDLE_FILES` files; a file of `limit` bytes goes alone.

    A task costs the cluster a few milliseconds whatever it does (~3 ms of the client's and
    scheduler's CPU, ~2 ms of the worker's, and the round trip before the worker gets its
    next one), and a typical event log takes 50 ms to read. Bundled, small files cost that
    once per `limit` bytes; the bundle stays small enough (~0.15 s of reading at 4 MB)
    that the last one does not leave the other workers idle for long. The count keeps a
    batch of small files spread over the workers."""
    bundle: list[FileTask] = []
    size = 0
    for task in tasks:
        bundle.append(task)
        size += task.size_bytes
        if size >= limit or len(bundle) >= BUNDLE_FILES:
            yield bundle
            bundle, size = [], 0
    if bundle:
        yield bundle


def read_bundle(step: Step, tasks: list[FileTask]) -> list[FileResult]:
    """On a worker: each file of a bundle in turn."""
    return [read_file(step, task) for task in tasks]


def read_file(step: Step, task: FileTask) -> FileResult:
    """On a worker: the step, with this attempt's parts in a folder of their own.

    A worker the scheduler gave up on may still be writing; a retry elsewhere then never
    writes over its files, and only the parts named in the result that reached the client
    are committed. The folder is not created with its parents, so a warehouse the worker
    does not share fails here instead of writing parts the client cannot see.
    """
    attempt = Path(task.staging_dir) / f"{task.file_id[:16]}-{secrets.token_hex(4)}"
    attempt.mkdir()
    return step(replace(task, staging_dir=str(attempt)))


def staging_problem(staging: str) -> str | None:
    """On a worker: why it cannot write into the batch's staging folder, or None."""
    folder = Path(staging)
    if not folder.is_dir():
        return f"does not see {staging}"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write into {staging}"
    return None


@contextmanager
def connect(scheduler: str, workers: int) -> Iterator[DaskRunner]:
    """A runner on the cluster at `scheduler`, or on a LocalCluster of `workers` processes."""
    check_scheduler(scheduler)
    _quiet()
    if scheduler == LOCAL:
        with dask.config.set(LOCAL_CONFIG):
            cluster = LocalCluster(
                n_workers=workers,
                processes=True,
                threads_per_worker=1,
                dashboard_address=None,
                # No dashboard, and the scheduler's small HTTP server (health, metrics) on a
                # free local port rather than 8787, which another cluster may hold.
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                host="127.0.0.1",
                silence_logs=logging.CRITICAL,
                memory_limit=0,  # as the local process pool: the operating system decides
            )
        with cluster, Client(cluster) as client:
            yield DaskRunner(client, f"of a local cluster of {workers} workers")
        return
    try:
        _reachable(scheduler)
        client = Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnavailable(
            f"cannot reach the Dask scheduler at {scheduler}: {_first_line(exc)}"
        ) from None
    with client:
        yield DaskRunner(client, f"at {scheduler}")


def _reachable(address: str) -> None:
    """A refused connection or an unknown host fails at once; Dask would retry until its
    timeout before saying so."""
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS):
        pass


def _fetched(future: Future[list[FileResult]], task: FileTask) -> list[FileResult] | FileResult:
    """The bundle's results, or a rejection of `task` saying why the cluster could not
    produce them.

    A result lost with its worker before the client fetched it is recomputed by Dask;
    `result()` waits for that."""
    try:
        return future.result()
    except CancelledError:  # the client lost the scheduler, or the batch was abandoned
        raise SchedulerUnavailable(
            f"lost the Dask scheduler while {task.path} was being read"
        ) from None
    except KilledWorker as exc:
        reason = (
            "the worker process reading it died (out of memory or killed), "
            f"{exc.allowed_failures + 1} times; last on {exc.last_worker.address}"
        )
    except Exception as exc:  # the step raised on every try (RETRIES): say what it was
        reason = f"worker failed: {type(exc).__name__}: {_first_line(exc)}"
    return FileResult(
        task.file_id, task.path, task.format, task.size_bytes, 0, 0, 0, "rejected", reason
    )


def _for_workers(task: FileTask) -> FileTask:
    return replace(task, path=_absolute(task.path), staging_dir=_absolute(task.staging_dir))


def _absolute(path: str) -> str:
    return os.path.abspath(path)


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else type(exc).__name__


def _quiet() -> None:
    """Dask logs to stderr (its reconnection attempts with tracebacks among them); Hivewatch's
    one-line errors and its summary say what matters."""
    names = [name for name in logging.root.manager.loggerDict if name.split(".")[0] in _LOGGERS]
    for name in [*_LOGGERS, *names]:
        logging.getLogger(name).setLevel(logging.CRITICAL)


_LOGGERS = ("distributed", "dask")
