"""A local worker that dies takes only its own file with it; the batch reads the rest."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from pipeline.ingest import run as ingest_run
from pipeline.ingest.local_pool import DIED, LocalPool
from pipeline.ingest.run import worker_context
from pipeline.ingest.step import FileResult, FileTask, run_step
from pipeline.read.probe import probe
from pipeline.store.catalog import CATALOG
from tests.conftest import ROOT, run_ingest

FLEET = ROOT / "fixtures"
DOOMED = FLEET / "WS-3554.corp.contoso.com" / "Application.evtx"
HOSTS = [FLEET / "WS-3554.corp.contoso.com", FLEET / "RDS-8612.corp.contoso.com"]


def die_on_doomed(task: FileTask) -> FileResult:
    """Runs in a worker process: it dies outright, as under the out-of-memory killer."""
    if Path(task.path) == DOOMED:
        os._exit(1)
    return run_step(task)


def inputs() -> list[Path]:
    found = sorted(p for host in HOSTS for p in host.iterdir())
    assert DOOMED in found and len(found) > 4
    return found


def tasks(paths: list[Path], staging: Path) -> list[FileTask]:
    probes = [probe(p) for p in paths]
    return [
        FileTask(p.path, p.file_id or "", p.format or "", p.size_bytes or 0, "auto", str(staging))
        for p in probes
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_file_that_kills_its_worker_is_rejected_alone(tmp_path: Path, jobs: int) -> None:
    work = tasks(inputs(), tmp_path)
    results = {r.path: r for r in LocalPool(die_on_doomed, jobs, worker_context()).run(work)}
    assert set(results) == {t.path for t in work}
    assert results.pop(str(DOOMED)).error == DIED
    inline = {t.path: run_step(t) for t in work if t.path != str(DOOMED)}
    for path, result in results.items():
        assert result.status == "ok", path
        assert result.records == inline[path].records > 0


def test_a_batch_commits_every_file_but_the_one_that_killed_its_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_run, "run_step", die_on_doomed)
    root = tmp_path / "wh"
    summary = run_ingest(inputs(), root, jobs=2)
    assert summary.rejected == [(str(DOOMED), DIED)]
    assert summary.read == len(inputs()) - 1
    reference = tmp_path / "reference"
    run_ingest([p for p in inputs() if p != DOOMED], reference)
    with (
        duckdb.connect(str(root / CATALOG), read_only=True) as got,
        duckdb.connect(str(reference / CATALOG), read_only=True) as want,
    ):
        sql = "select * from events order by all"
        assert got.execute(sql).fetchall() == want.execute(sql).fetchall()
