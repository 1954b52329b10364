"""The committed fleet in fixtures/ is what its README says and what the generator makes."""

from __future__ import annotations

from pathlib import Path

from pipeline.synth.manifest import README, fleet_files, parse_hashes, sha256

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LIMIT = 2 * 1024 * 1024


def test_committed_fleet_matches_readme():
    listed = parse_hashes((FIXTURES / README).read_text(encoding="utf-8"))
    actual = {p.relative_to(FIXTURES).as_posix(): sha256(p) for p in fleet_files(FIXTURES)}
    assert listed == actual


def test_committed_fleet_is_small():
    assert sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file()) <= LIMIT


def test_regenerating_reproduces_the_committed_fleet(fleet):
    listed = parse_hashes((FIXTURES / README).read_text(encoding="utf-8"))
    regenerated = {p.relative_to(fleet.root).as_posix(): sha256(p) for p in fleet_files(fleet.root)}
    assert regenerated == listed
