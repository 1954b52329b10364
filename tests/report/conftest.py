"""The committed fixture fleet, ingested once per test session into a warehouse that the
report tests copy when they need their own report history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_ingest
from tests.report.hostile import IMG, write_hostile_export

FIXTURES = ROOT / "fixtures"


@pytest.fixture(scope="session")
def truth() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "truth.json").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="session")
def fleet_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report") / "warehouse"
    run_ingest([FIXTURES], root, jobs=2)
    return root


@pytest.fixture
def warehouse(fleet_warehouse: Path, tmp_path: Path) -> Path:
    """A private copy of the fleet warehouse: its report history starts empty."""
    copy = tmp_path / "warehouse"
    shutil.copytree(fleet_warehouse, copy, ignore=shutil.ignore_patterns("report_state*"))
    return copy


@pytest.fixture(scope="session")
def hostile_warehouse(fleet_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fleet plus a host whose names are markup, and a rejected file named like markup."""
    base = tmp_path_factory.mktemp("hostile")
    inputs = base / "collected"
    inputs.mkdir()
    write_hostile_export(inputs / "hostile.xml")
    (inputs / f"{IMG}.evtx").write_bytes(b"not an event log")
    root = base / "warehouse"
    shutil.copytree(fleet_warehouse, root, ignore=shutil.ignore_patterns("report_state*"))
    run_ingest([inputs], root)
    return root
