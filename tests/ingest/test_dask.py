"""`ingest --scheduler`: the same warehouse from a Dask cluster as from a local ingest.

One LocalCluster of two worker processes serves the module (starting one costs seconds).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipeline.cli_common import EXIT_NOT_COMMITTED, EXIT_USAGE
from pipeline.errors import UsageError
from pipeline.ingest.dask_run import (
    BUNDLE_FILES,
    LOCAL,
    DaskRunner,
    bundles,
    check_scheduler,
    connect,
    staging_problem,
)
from pipeline.ingest.run import Summary, ingest
from pipeline.ingest.step import FileResult, FileTask, run_step
from pipeline.store.catalog import CATALOG
from pipeline.store.warehouse import Warehouse
from tests.conftest import ROOT, run_ingest

FLEET = ROOT / "fixtures"
DOOMED = FLEET / "WS-3554.corp.contoso.com" / "Application.evtx"  # its worker dies
SMALL = FLEET / "WS-0936"  # two .evt files
TABLES = {
    "events": "select * from events",
    "ingest_files": "select * exclude (ingested_at) from ingest_files",
    "profile_events": "select * from profile_events",
    "hive_leaks": "select * from hive_leaks",
    "unload_incidents": "select * from unload_incidents",
    "offenders": "select * from offenders",
}


@pytest.fixture(scope="module")
def runner() -> Iterator[DaskRunner]:
    import dask

    # Give up on a file after its second worker died, not its fourth: a quicker test.
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), connect(LOCAL, 2) as r:
        yield r


def rows(root: Path, table: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        return con.execute(f"{TABLES[table]} order by all").fetchall()


@pytest.fixture(scope="module")
def local_fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("local") / "wh"
    run_ingest([FLEET], root, jobs=1)
    return root


class Recorder:
    """A `run.Progress` that keeps what it was told."""

    def __init__(self) -> None:
        self.files = -1
        self.outcomes: list[tuple[str, str]] = []

    def planned(self, files: int) -> None:
        self.files = files

    def done(self, path: str, outcome: str) -> None:
        self.outcomes.append((path, outcome))


@pytest.fixture(scope="module")
def dask_fleet(
    runner: DaskRunner, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Summary, Recorder]:
    root = tmp_path_factory.mktemp("dask") / "wh"
    progress = Recorder()
    summary = ingest(
        [FLEET], Warehouse(root), jobs=2, engine="auto", progress=progress, executor=runner
    )
    return root, summary, progress


@pytest.mark.parametrize("table", list(TABLES))
def test_tables_equal_a_local_ingest_row_for_row(
    local_fleet: Path, dask_fleet: tuple[Path, Summary, Recorder], table: str
) -> None:
    expected = rows(local_fleet, table)
    assert expected, f"the fixture fleet should fill {table}"
    assert rows(dask_fleet[0], table) == expected


def test_progress_counts_every_completed_task(
    dask_fleet: tuple[Path, Summary, Recorder],
) -> None:
    root, summary, progress = dask_fleet
    assert progress.files == len(progress.outcomes) == summary.offered > 0
    read = [path for path, outcome in progress.outcomes if outcome in ("ok", "partial")]
    assert len(read) == summary.read > 0
    assert {p for p, _ in progress.outcomes} == {str(p) for p in FLEET.rglob("*") if p.is_file()}
    assert not (root / "_staging").exists() or not any((root / "_staging").iterdir())


def die_on_doomed(task: FileTask) -> FileResult:
    """Runs on a worker: the process dies outright, as under the OOM killer."""
    if Path(task.path) == DOOMED:
        os._exit(1)
    return run_step(task)


def test_a_worker_dying_rejects_its_file_and_commits_the_rest(
    runner: DaskRunner, tmp_path: Path
) -> None:
    # The seven small files travel as one bundle; after it killed two workers, each file
    # is tried alone, and the death is blamed on that file alone.
    hosts = [FLEET / "WS-3554.corp.contoso.com", FLEET / "RDS-8612.corp.contoso.com"]
    inputs = sorted(p for host in hosts for p in host.iterdir())
    assert DOOMED in inputs and len(inputs) > 4
    root = tmp_path / "wh"
    deadly = DaskRunner(runner.client, "local", step=die_on_doomed)
    summary = ingest(inputs, Warehouse(root), jobs=2, engine="auto", executor=deadly)

    assert [(p, "died" in why) for p, why in summary.rejected] == [(str(DOOMED), True)]
    assert summary.read == len(inputs) - 1
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        ledger = dict(con.execute("select path, status from ingest_files").fetchall())
    assert ledger == {str(p): "rejected" if p == DOOMED else "ok" for p in inputs}
    reference = tmp_path / "reference"
    run_ingest([p for p in inputs if p != DOOMED], reference)
    assert rows(root, "events") == rows(reference, "events")


BROKEN = FLEET / "RDS-8612.corp.contoso.com" / "System.evtx"  # its step raises


def raise_on_broken(task: FileTask) -> FileResult:
    if Path(task.path) == BROKEN:
        raise ValueError("a share that hiccuped")
    return run_step(task)


def test_a_step_failing_in_a_bundle_rejects_only_its_file(
    runner: DaskRunner, tmp_path: Path
) -> None:
    inputs = sorted((FLEET / "RDS-8612.corp.contoso.com").iterdir())
    assert BROKEN in inputs and len(inputs) > 1
    failing = DaskRunner(runner.client, "local", step=raise_on_broken, retries=0)
    summary = ingest(inputs, Warehouse(tmp_path / "wh"), jobs=2, engine="auto", executor=failing)

    assert summary.rejected == [(str(BROKEN), "worker failed: ValueError: a share that hiccuped")]
    assert summary.read == len(inputs) - 1


def task(name: str, size: int) -> FileTask:
    return FileTask(name, name, "evtx", size, "auto", "/staging")


def test_small_files_are_bundled_up_to_a_size_and_a_count() -> None:
    mb = 1_000_000
    sizes = [("big", 5 * mb), ("a", 3 * mb), ("b", 2 * mb), *((f"s{i}", mb) for i in range(5))]
    got = [[t.path for t in b] for b in bundles([task(*s) for s in sizes], 4 * mb)]
    assert got == [["big"], ["a", "b"], ["s0", "s1", "s2", "s3"], ["s4"]]
    tiny = [task(f"t{i}", 10) for i in range(BUNDLE_FILES * 2 + 1)]
    assert [len(b) for b in bundles(tiny, 4 * mb)] == [BUNDLE_FILES, BUNDLE_FILES, 1]
    assert list(bundles([], mb)) == []


def test_an_unreachable_scheduler_commits_nothing(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    command = [sys.executable, "-m", "pipeline", "ingest", str(SMALL), "-w", str(root)]
    done = subprocess.run(
        [*command, "--scheduler", "tcp://127.0.0.1:9"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == EXIT_NOT_COMMITTED
    assert done.stderr.count("\n") == 1 and "cannot reach the Dask scheduler" in done.stderr
    assert not (root / CATALOG).exists()
    bad = subprocess.run(
        [*command, "--scheduler", "localhost:8786"], capture_output=True, text=True, cwd=ROOT
    )
    assert bad.returncode == EXIT_USAGE and "tcp://HOST:PORT" in bad.stderr


def test_without_scheduler_nothing_imports_dask(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path\n"
        "import pipeline.cli\n"
        "from pipeline.cli_ingest import run_ingest\n"
        f"run_ingest([Path({str(SMALL)!r})], Path({str(tmp_path / 'wh')!r}), 1, 'auto')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "print('LOADED', loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "LOADED []"


@pytest.mark.parametrize("address", ["local", "tcp://10.0.0.5:8786", "tcp://sched.corp:1"])
def test_scheduler_addresses_accepted(address: str) -> None:
    assert check_scheduler(address) == address


@pytest.mark.parametrize("address", ["localhost:8786", "http://h:8786", "tcp://h", "tcp://h:0"])
def test_scheduler_addresses_refused(address: str) -> None:
    with pytest.raises(UsageError, match="tcp://HOST:PORT or local"):
        check_scheduler(address)


def test_a_worker_that_cannot_see_the_staging_folder_says_so(tmp_path: Path) -> None:
    assert staging_problem(str(tmp_path)) is None
    assert staging_problem(str(tmp_path / "elsewhere")) == f"does not see {tmp_path / 'elsewhere'}"
