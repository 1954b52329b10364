"""The committed fixture fleet through ingest, compared with its ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipeline.ingest.run import Summary
from pipeline.store.catalog import CATALOG
from tests.conftest import ROOT, run_ingest

FLEET = ROOT / "fixtures"
TRUTH = json.loads((FLEET / "truth.json").read_text(encoding="utf-8"))
FILES = TRUTH["files"]
EVTX = [f for f in FILES if f["format"] == "evtx"]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Summary]:
    root = tmp_path_factory.mktemp("fleet") / "wh"
    return root, run_ingest([FLEET], root, jobs=2)


def ledger(root: Path) -> dict[str, tuple[str, int, int, int]]:
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        rows = con.execute(
            "select path, status, records, recovered, skipped from ingest_files"
        ).fetchall()
    return {str(Path(path).relative_to(FLEET)): tuple(rest) for path, *rest in rows}


@pytest.mark.parametrize("entry", [f for f in FILES if "damage" not in f], ids=lambda f: f["path"])
def test_every_file_is_read_whole(fleet: tuple[Path, Summary], entry: dict) -> None:
    status, records, recovered, skipped = ledger(fleet[0])[entry["path"]]
    assert (status, records, recovered, skipped) == ("ok", entry["records"], 0, 0)


def test_every_host_has_exactly_its_distinct_records(fleet: tuple[Path, Summary]) -> None:
    """Across .evtx, .evt, XML exports and forwarded copies: one row per distinct record."""
    with duckdb.connect(str(fleet[0] / CATALOG), read_only=True) as con:
        rows = con.execute("select host, channel, count(*) from events group by all").fetchall()
    stored = {(host, channel): count for host, channel, count in rows}
    expected = {
        (h["host"], channel): count
        for h in TRUTH["hosts"]
        for channel, count in h["channels"].items()
    }
    assert stored == expected
    assert sum(stored.values()) == TRUTH["records"]["distinct"]


def test_source_format_names_the_reader(fleet: tuple[Path, Summary]) -> None:
    with duckdb.connect(str(fleet[0] / CATALOG), read_only=True) as con:
        rows = con.execute(
            "select distinct e.source_format, f.format"
            " from events e join ingest_files f using (file_id)"
        ).fetchall()
    assert sorted(rows) == [("evt", "evt"), ("evtx", "evtx"), ("xml", "xml")]


def test_damaged_copies_keep_what_is_intact(fleet: tuple[Path, Summary]) -> None:
    rows = ledger(fleet[0])
    for entry in (f for f in FILES if "damage" in f):
        status, records, _, skipped = rows[entry["path"]]
        damage = entry["damage"]
        if damage["kind"] == "evt_truncated":
            assert (status, records) == ("partial", damage["records_intact"])
            assert skipped == entry["records"] - damage["records_intact"]
        elif damage["kind"] == "stale_header":
            assert (status, records, skipped) == ("ok", entry["records"], 0)
        elif damage["kind"] == "truncated":
            assert (status, records) == ("partial", damage["records_intact"]) and skipped >= 1
        else:
            assert status == "partial" and records >= damage["records_intact"]


def test_forwarded_events_keep_their_computers(fleet: tuple[Path, Summary]) -> None:
    root, _ = fleet
    forwarded = next(f for f in EVTX if f.get("forwarded"))
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        hosts = {h for (h,) in con.execute("select distinct host from events").fetchall()}
    assert set(forwarded["hosts"]) <= hosts
    assert not any("WEC-01" in h for h in hosts if h not in forwarded["hosts"] and "WEC" in h)


def test_overlaps_are_stored_once(fleet: tuple[Path, Summary]) -> None:
    root, summary = fleet
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        (events,) = con.execute("select count(*) from events").fetchone() or (0,)
        (dupes,) = con.execute(
            "select count(*) from (select host, channel, record_id, time_created from events"
            " group by all having count(*) > 1)"
        ).fetchone() or (0,)
    assert dupes == 0
    assert events == summary.new_events < summary.records  # archive and forwarded copies
