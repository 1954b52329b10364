"""The same seed gives byte-identical files, whatever the number of worker processes."""

from __future__ import annotations

import os
import subprocess
import sys

from pipeline.synth.fleet import write_fleet
from pipeline.synth.manifest import fleet_files, sha256


def _hashes(root):
    return {p.relative_to(root).as_posix(): sha256(p) for p in fleet_files(root)}


def test_same_seed_same_bytes(tmp_path, fleet):
    again = tmp_path / "again"
    write_fleet(again, hosts=8, days=2, seed=1, damage=True, jobs=2)
    assert _hashes(again) == _hashes(fleet.root)


def test_other_seed_other_fleet(tmp_path):
    a = write_fleet(tmp_path / "a", hosts=3, days=1, seed=1, jobs=1)
    b = write_fleet(tmp_path / "b", hosts=3, days=1, seed=2, jobs=1)
    assert _hashes(a.truth_path.parent) != _hashes(b.truth_path.parent)


def test_formats_filter(tmp_path):
    s = write_fleet(tmp_path / "x", hosts=6, days=1, formats=frozenset({"xml"}), jobs=1)
    suffixes = {p.suffix for p in fleet_files(s.truth_path.parent)} - {".json"}
    assert suffixes == {".xml"}
    assert s.hosts == 6


def test_truth_does_not_depend_on_the_hash_seed(tmp_path):
    # Seed 7 has incidents whose leaks spell one key two ways ("Software", "SOFTWARE"):
    # the truth must list it the same way whatever order Python's sets iterate in.
    truths = []
    for hash_seed in ("0", "2"):
        out = tmp_path / hash_seed
        command = [sys.executable, "-m", "pipeline", "fixtures", str(out), "--hosts", "10"]
        command += ["--days", "20", "--seed", "7", "--formats", "evt,xml"]
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(command, check=True, env=env, capture_output=True)
        truths.append((out / "truth.json").read_bytes())
    assert truths[0] == truths[1]
    assert b"SOFTWARE" in truths[0]


def test_a_small_fleet_has_every_format_asked_for(tmp_path):
    s = write_fleet(tmp_path / "x", hosts=3, days=1, seed=1, jobs=1)
    suffixes = {p.suffix.lower() for p in fleet_files(s.truth_path.parent)} - {".json"}
    assert suffixes == {".evtx", ".evt", ".xml"}
