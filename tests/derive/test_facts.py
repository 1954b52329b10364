"""Profile facts: read by the workers once per event, kept only for the events the commit
keeps, and read again from `events` when the rules that read them change."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

import pipeline.derive.build as build
import pipeline.ingest.step as step
from pipeline.derive.facts import read_facts, rules
from pipeline.store.catalog import CATALOG, read_parts
from pipeline.store.schemas import PROFILE_FACTS, TABLES
from tests.conftest import ROOT, run_ingest

FLEET = ROOT / "fixtures"
DERIVED_SQL = {
    "profile_events": "select * from profile_events",
    "hive_leaks": "select * from hive_leaks",
    "unload_incidents": "select * from unload_incidents",
    "offenders": "select * from offenders",
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("facts") / "wh"
    run_ingest([FLEET], root, jobs=2)
    return root


def facts(root: Path) -> pl.DataFrame:
    files = [str(root / p) for p in read_parts(root)[PROFILE_FACTS.name]]
    return pl.read_parquet(files)


def tables(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        return {t: con.execute(f"{sql} order by all").fetchall() for t, sql in DERIVED_SQL.items()}


def as_rows(frame: pl.DataFrame) -> list[str]:
    names = [name for name in PROFILE_FACTS.names if name in frame.columns]
    return sorted(map(str, frame.select(names).rows()))


def test_worker_facts_are_the_facts_of_the_kept_events(warehouse: Path) -> None:
    """The fleet has overlapping exports and forwarded copies: the facts of losing copies
    must be gone, and the rest must be what reading the committed events gives."""
    events = [str(warehouse / p) for p in read_parts(warehouse)["events"]]
    committed = facts(warehouse)
    assert as_rows(committed) == as_rows(read_facts(events))
    identity = ["host", "channel", "record_id", "time_created"]
    assert committed.select(identity).is_duplicated().sum() == 0
    assert committed.filter(pl.col("version").is_not_null()).height > 0  # the 6009s
    assert committed.filter(pl.col("leaks").list.len() > 0).height > 0
    with duckdb.connect(str(warehouse / CATALOG), read_only=True) as con:
        (profile,) = con.execute("select count(*) from profile_events").fetchone() or (0,)
    assert committed.filter(pl.col("kind").is_not_null()).height == profile


def test_facts_carry_the_winning_copy(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse / CATALOG), read_only=True) as con:
        events = con.execute(
            "select host, channel, record_id, time_created, file_id from events"
        ).fetchall()
    winners = {row[:4]: row[4] for row in events}
    for row in (
        facts(warehouse).select("host", "channel", "record_id", "time_created", "file_id").rows()
    ):
        assert winners[row[:4]] == row[4]


def test_parts_name_the_rules_that_made_them(warehouse: Path) -> None:
    parts = read_parts(warehouse)
    for table in (PROFILE_FACTS.name, *DERIVED_SQL):
        assert parts[table], table
        assert all(p.endswith(f"-{rules()}.parquet") for p in parts[table]), table


def test_new_rules_read_the_facts_again(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade that changes the catalog or a parser, re-ingesting the same inputs
    reads no file but rebuilds the facts and every table from `events`."""
    root = tmp_path / "wh"
    with monkeypatch.context() as patched:
        patched.setattr(build, "rules", lambda: "000000000000")
        run_ingest([FLEET], root)
    stale = read_parts(root)[PROFILE_FACTS.name]
    assert stale and all(p.endswith("-000000000000.parquet") for p in stale)

    again = run_ingest([FLEET], root)
    assert again.records == 0 and again.new_events == 0
    parts = read_parts(root)
    assert all(p.endswith(f"-{rules()}.parquet") for p in parts[PROFILE_FACTS.name])
    assert not set(stale) & set(parts[PROFILE_FACTS.name])
    assert as_rows(facts(root)) == as_rows(facts(warehouse))
    assert tables(root) == tables(warehouse)

    run_ingest([FLEET], root)  # fresh rules now: nothing to rebuild
    assert read_parts(root) == parts


def test_facts_from_a_worker_of_other_rules_are_read_again(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Dask worker on another Hivewatch version stages facts under its rules, maybe read
    differently; the client does not trust them and reads the batch's facts from the events
    it commits."""
    real_path, real_facts = step.staged_facts_path, step.facts_of

    def other_path(staging_dir: str, file_id: str) -> str:
        return real_path(staging_dir, file_id).replace(rules(), "111111111111")

    def other_reading(events: pl.DataFrame) -> pl.DataFrame:
        return real_facts(events).with_columns(kind=pl.lit("read_by_other_rules"))

    monkeypatch.setattr(step, "staged_facts_path", other_path)
    monkeypatch.setattr(step, "facts_of", other_reading)
    root = tmp_path / "wh"
    run_ingest([FLEET], root)
    assert as_rows(facts(root)) == as_rows(facts(warehouse))
    assert tables(root) == tables(warehouse)


def test_facts_are_internal(warehouse: Path) -> None:
    assert TABLES[PROFILE_FACTS.name].internal
    with duckdb.connect(str(warehouse / CATALOG), read_only=True) as con:
        views = {
            name
            for (name,) in con.execute(
                "select view_name from duckdb_views() where not internal"
            ).fetchall()
        }
    assert views == {name for name, table in TABLES.items() if not table.internal}


def test_many_batches_gather_their_facts_in_one_part(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch adds a facts part; past `MAX_FACTS_PARTS` the build writes them as one,
    and the tables stay those of one batch."""
    monkeypatch.setattr(build, "MAX_FACTS_PARTS", 2)
    root = tmp_path / "wh"
    hosts = sorted(p for p in FLEET.iterdir() if p.is_dir() and p.name != "damaged")
    counts = []
    for host in hosts:
        run_ingest([host], root)
        counts.append(len(read_parts(root)[PROFILE_FACTS.name]))
    run_ingest([FLEET], root)  # the rest: damaged copies, files at the top
    assert max(counts) <= 2 and counts[:3] == [1, 2, 1]
    # Which copy of a forwarded or overlapping record is kept depends on the batch that
    # met it first, so `file_id` may differ from a single batch's; nothing else does.
    assert as_rows(facts(root).drop("file_id")) == as_rows(facts(warehouse).drop("file_id"))
    got, want = tables(root), tables(warehouse)
    for table in ("hive_leaks", "unload_incidents", "offenders"):
        assert got[table] == want[table], table


def fact(host: str, minute: int, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(PROFILE_FACTS.names)
    row.update(host=host, channel="System", record_id=minute, leaks=[])
    row["time_created"] = datetime(2004, 5, 1, 12, minute)
    row.update(values)
    return row


def test_a_host_is_of_the_last_version_it_logged() -> None:
    """An in-place upgrade: the last 6009 naming a version decides, whatever came before
    or after it that names none; without 6009, the family all the host's events fit."""
    boot = {"provider": "EventLog", "event_id": 6009}
    event = {
        "provider": "Userenv",
        "event_id": 1517,
        "kind": "hive_saved_while_in_use",
        "role": "context",
        "families": ["win2000", "xp2003"],
    }
    rows = [
        fact("UPGRADED", 1, version="5.00. 2195 Service Pack 4 Uniprocessor Free", **boot),
        fact("UPGRADED", 2, version="5.01. 2600 Service Pack 2 Uniprocessor Free", **boot),
        fact("UPGRADED", 3, version="unreadable", **boot),
        fact("UPGRADED", 4, **event),
        fact("DOWNGRADED", 1, version="5.01. 2600 Service Pack 2 Uniprocessor Free", **boot),
        fact("DOWNGRADED", 2, version="5.00. 2195 Service Pack 4 Uniprocessor Free", **boot),
        fact("DOWNGRADED", 4, **event),
        fact("UNLOGGED", 4, **event),
        fact("UNLOGGED", 5, **{**event, "families": ["xp2003", "vista+"]}),
    ]
    facts = pl.DataFrame(rows, schema=PROFILE_FACTS.polars_schema, orient="row")
    profile = build.derived_frames(facts)["profile_events"]
    families = dict(profile.select("host", "os_family").unique().iter_rows())
    assert families == {"UPGRADED": "xp2003", "DOWNGRADED": "win2000", "UNLOGGED": "xp2003"}
