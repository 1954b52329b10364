"""Shared test inputs: the public samples beside the project, and a warehouse built from them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.ingest.run import Summary, ingest
from pipeline.store.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples"
EVTX_SAMPLES = SAMPLES / "evtx"


def sample_floors() -> dict[str, int]:
    """The `union` column of the samples README: records the best public parsers recover."""
    floors: dict[str, int] = {}
    table_row = re.compile(r"^\| (\S+\.evtx) \|(?: *\d+ *\|){3} *(\d+) *\|$")
    for line in (SAMPLES / "README.md").read_text(encoding="utf-8").splitlines():
        match = table_row.match(line)
        if match:
            floors[match.group(1)] = int(match.group(2))
    return floors


def run_ingest(paths: list[Path], warehouse: Path, jobs: int = 1, engine: str = "auto") -> Summary:
    return ingest(paths, Warehouse(warehouse), jobs=jobs, engine=engine)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def samples_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Summary]:
    """All shared samples ingested once, with two worker processes."""
    root = tmp_path_factory.mktemp("samples") / "warehouse"
    summary = run_ingest([SAMPLES], root, jobs=2)
    return root, summary
