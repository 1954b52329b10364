"""An ingest killed at any point leaves the warehouse as it was; running it again finishes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import psutil
import pytest

from pipeline.store import catalog
from tests.conftest import EVTX_SAMPLES, ROOT, run_ingest

SMALL = EVTX_SAMPLES / "TestLogX.evtx"  # 5 records
BATCH = [EVTX_SAMPLES / "system.evtx", EVTX_SAMPLES / "pyevtx-system.evtx"]  # 1881 + 1601


def state(root: Path) -> tuple[int, int, bytes]:
    with duckdb.connect(str(root / catalog.CATALOG), read_only=True) as con:
        events = con.execute("select count(*) from events").fetchone()
        files = con.execute("select count(*) from ingest_files").fetchone()
    assert events is not None and files is not None
    return events[0], files[0], (root / catalog.CATALOG).read_bytes()


def test_failure_at_the_commit_point_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "wh"
    run_ingest([SMALL], root)
    before = state(root)

    def crash(src: object, dst: object) -> None:
        raise OSError("simulated crash before the catalog rename")

    monkeypatch.setattr(catalog.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        run_ingest(BATCH, root)
    monkeypatch.undo()
    assert state(root) == before
    assert len(list((root / "events").glob("*.parquet"))) == 2  # one live, one orphan

    summary = run_ingest(BATCH, root)
    assert summary.read == 2
    events, files, _ = state(root)
    assert (events, files) == (5 + 1881 + 1601, 3)
    assert len(list((root / "events").glob("*.parquet"))) == 2  # the orphan is gone
    assert not (root / "_staging").exists() or not any((root / "_staging").iterdir())


def ingest_command(root: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline", "ingest", *map(str, BATCH), "-w", str(root)]


def reading(root: Path, **popen: Any) -> subprocess.Popen[str]:
    """An ingest of BATCH into `root`, returned once its workers have staged a first part.

    python-evtx alone takes several seconds on these two files: a signal lands mid-batch."""
    command = [*ingest_command(root), "--engine", "python", "--jobs", "2"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, text=True, **popen)
    deadline = time.monotonic() + 30
    staging = root / "_staging"
    while time.monotonic() < deadline and not any(staging.glob("*/*.parquet")):
        time.sleep(0.05)
    return process


def test_killed_process_mid_batch(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    run_ingest([SMALL], root)
    before = state(root)
    process = reading(root, stderr=subprocess.DEVNULL, start_new_session=True)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert state(root) == before

    finished = subprocess.run(
        [*ingest_command(root), "--jobs", "1"], cwd=ROOT, capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr
    assert state(root)[:2] == (5 + 1881 + 1601, 3)


def test_terminated_process_stops_its_workers(tmp_path: Path) -> None:
    # SIGTERM to the ingest alone (as `kill`, `timeout` or a service manager sends it).
    root = tmp_path / "wh"
    run_ingest([SMALL], root)
    before = state(root)
    process = reading(root, stderr=subprocess.PIPE)
    children = psutil.Process(process.pid).children(recursive=True)
    assert children, "the workers should be running"
    try:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 3
        assert stderr.strip() == (
            "hivewatch: interrupted; nothing of the current batch was committed"
        )
        _, alive = psutil.wait_procs(children, timeout=30)
        assert not alive
    finally:  # a failure must not leave processes behind
        for leftover in [process, *children]:
            with contextlib.suppress(ProcessLookupError, psutil.NoSuchProcess):
                leftover.kill()
    assert state(root) == before
