"""The analytic tables of the committed fixture fleet equal its ground truth, exactly."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipeline.store.catalog import CATALOG
from tests.conftest import ROOT, run_ingest

FLEET = ROOT / "fixtures"
TRUTH = json.loads((FLEET / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet") / "wh"
    run_ingest([FLEET], root, jobs=2)
    return root


def rows(root: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        return con.execute(sql).fetchall()


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_incidents_equal_the_truth(warehouse: Path) -> None:
    got = sorted(
        (h, iso(s), iso(e), sid, name, fam, cls, rem, tuple(ids), tuple(procs), tuple(keys))
        for h, s, e, sid, name, fam, cls, rem, ids, procs, keys in rows(
            warehouse,
            "select host, started, ended, user_sid, user_name, os_family, class,"
            " remediated_by, event_ids, processes, keys from unload_incidents",
        )
    )
    want = sorted(
        (
            i["host"],
            i["started"],
            i["ended"],
            i["user_sid"],
            i["user_name"],
            i["os_family"],
            i["class"],
            i["remediated_by"],
            tuple(i["event_ids"]),
            tuple(i["processes"]),
            tuple(i["keys"]),
        )
        for i in TRUTH["incidents"]
    )
    assert got == want


def test_leaks_equal_the_truth(warehouse: Path) -> None:
    got = sorted(
        (host, iso(t), *rest)
        for host, t, *rest in rows(
            warehouse,
            "select host, time_created, event_id, provider, user_sid, hive, process_id,"
            " process_image, process_name, key, handles from hive_leaks",
        )
    )
    want = sorted(
        (
            i["host"],
            leak["time_created"],
            leak["event_id"],
            leak["provider"],
            leak["user_sid"],
            leak["hive"],
            leak["process_id"],
            leak["process_image"],
            leak["process_name"],
            leak["key"],
            leak["handles"],
        )
        for i in TRUTH["incidents"]
        for leak in i["leaks"]
    )
    assert got == want and len(got) == TRUTH["hive_leaks"]


def test_offenders_equal_the_truth_in_order(warehouse: Path) -> None:
    got = [
        (process, key, incidents, hosts, users, iso(first), iso(last))
        for process, key, incidents, hosts, users, first, last in rows(
            warehouse, "select * from offenders"
        )
    ]
    want = [
        tuple(o[c] for c in ("process_name", "key", "incidents", "hosts", "users"))
        + tuple(o[c] for c in ("first_seen", "last_seen"))
        for o in TRUTH["offenders"]
    ]
    assert got == want


def test_one_query_covers_every_generation(warehouse: Path) -> None:
    got = dict(rows(warehouse, "select os_family, count(*) from unload_incidents group by all"))
    want: dict[str, int] = {}
    for incident in TRUTH["incidents"]:
        want[incident["os_family"]] = want.get(incident["os_family"], 0) + 1
    assert got == want and set(got) == {"nt4", "win2000", "xp2003", "vista+"}


def test_profile_events_carry_their_host_family(warehouse: Path) -> None:
    got = dict(rows(warehouse, "select host, any_value(os_family) from profile_events group by 1"))
    assert got == {h["host"]: h["os_family"] for h in TRUTH["hosts"] if h["host"] in got}
    (mixed,) = rows(
        warehouse,
        "select count(*) from (select host from profile_events group by 1"
        " having count(distinct os_family) > 1)",
    )
    assert mixed == (0,)


def test_a_1530_never_takes_the_system_sid(warehouse: Path) -> None:
    sids = rows(warehouse, "select distinct user_sid from profile_events where event_id = 1530")
    assert sids and all(sid and sid.startswith("S-1-5-21-") for (sid,) in sids)


def test_two_batches_give_the_tables_of_one(warehouse: Path, tmp_path: Path) -> None:
    """Incidents can span batches: the tables are rebuilt from all events, not appended."""
    hosts = sorted(p for p in FLEET.iterdir() if p.is_dir())
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for i, host in enumerate(hosts):
        shutil.copytree(host, (first if i % 2 else second) / host.name)
    split = tmp_path / "wh"
    run_ingest([first], split)
    run_ingest([second], split)
    for table in ("unload_incidents", "hive_leaks", "offenders"):
        sql = f"from {table}"
        assert sorted(map(str, rows(split, sql))) == sorted(map(str, rows(warehouse, sql)))
