"""Shared fixtures: one small generated fleet per test session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline.synth.fleet import FleetSummary, write_fleet
from pipeline.synth.manifest import FIXTURE_ARGS


@dataclass(frozen=True)
class Fleet:
    root: Path
    summary: FleetSummary
    truth: dict[str, Any]

    def files(self, fmt: str, *, damaged: bool = False) -> list[dict[str, Any]]:
        return [
            f
            for f in self.truth["files"]
            if f["format"] == fmt and bool(f.get("damage")) == damaged
        ]


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    """The fleet of fixtures/ (same arguments), generated afresh in a temporary directory."""
    root = tmp_path_factory.mktemp("fleet")
    summary = write_fleet(root, jobs=1, **FIXTURE_ARGS)  # type: ignore[arg-type]
    truth = json.loads(summary.truth_path.read_text(encoding="utf-8"))
    return Fleet(root, summary, truth)
