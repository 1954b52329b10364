"""Every file in queries/ against the committed fixture fleet, checked against its ground truth.

The files come in layers (pipeline/query/named.py): staging views that only rename one
table's columns, then marts over them. Each file's header names its inputs, output and
parameters; the marts run here with the parameters they declare.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pipeline.cli import main
from pipeline.errors import UsageError
from pipeline.query import named
from pipeline.query.sql import QueryResult, run_sql, staging_view_sql
from pipeline.store.schemas import TABLES
from tests.conftest import ROOT, run_ingest

FLEET = ROOT / "fixtures"
TRUTH: dict[str, Any] = json.loads((FLEET / "truth.json").read_text(encoding="utf-8"))

QUERY_FILES = sorted(named.queries_dir().glob("*.sql"))
STAGING_FILES = [p for p in QUERY_FILES if p.stem.startswith("stg_")]
INTERMEDIATE_FILES = [p for p in QUERY_FILES if p.stem.startswith("int_")]
MART_FILES = [p for p in QUERY_FILES if not p.stem.startswith(("stg_", "int_"))]
VIEW_FILES = STAGING_FILES + INTERMEDIATE_FILES

YHOLM_SID = "S-1-5-21-1004336348-1177238915-682003330-5650"
HOST = "WS-3554.corp.contoso.com"

# A value for every parameter a mart may declare; a mart declaring another one fails.
SAMPLE_PARAMETERS = {"host": HOST, "since": "2024-03-05", "user": YHOLM_SID}

STAGED_INCIDENT_COLUMNS = [
    "incident_id",
    "host",
    "user_sid",
    "user_name",
    "started",
    "ended",
    "os_family",
    "incident_class",
    "remediated_by",
    "event_ids",
    "processes",
    "keys",
]
OFFENDER_COLUMNS = ["process_name", "key", "incidents", "hosts", "users", "first_seen", "last_seen"]
INCIDENT_COLUMNS = [
    "incident_class",
    "user_sid",
    "user_name",
    "os_family",
    "remediated_by",
    "event_ids",
    "processes",
    "keys",
    "incident_id",
]
EXPECTED_COLUMNS: dict[str, list[str]] = {
    "stg_events": TABLES["events"].names,
    "stg_ingest_files": TABLES["ingest_files"].names,
    "stg_profile_events": [
        "host",
        "time_created",
        "provider",
        "event_id",
        "os_family",
        "profile_kind",
        "user_sid",
        "user_name",
        "detail",
        "record_id",
        "file_id",
    ],
    "stg_leaks": TABLES["hive_leaks"].names,
    "stg_incidents": STAGED_INCIDENT_COLUMNS,
    "int_incident_accounts": [*STAGED_INCIDENT_COLUMNS, "account_sid", "account_name"],
    "stg_offenders": TABLES["offenders"].names,
    "stg_remediation": ["applies_to", "pattern", "advice_family", "advice", "reference"],
    "events_by_host": ["host", "channel", "events", "providers", "first_event", "last_event"],
    "events_of_host": TABLES["events"].names,
    "ingest_problems": [
        "path",
        "format",
        "status",
        "records",
        "recovered",
        "skipped",
        "error",
        "ingested_at",
    ],
    "offenders": [*OFFENDER_COLUMNS, "advice", "reference"],
    "offending_processes": [
        "process_name",
        "hosts",
        "incidents",
        "users",
        "keys",
        "first_seen",
        "last_seen",
        "advice",
    ],
    "offending_keys": [
        "key",
        "hosts",
        "incidents",
        "users",
        "processes",
        "first_seen",
        "last_seen",
        "advice",
    ],
    "incidents_by_class": [
        "week",
        "incident_class",
        "incidents",
        "hosts",
        "users",
        "os_families",
        "remediated",
        "by_profile_service",
        "by_uphclean",
        "advice",
    ],
    "host_history": ["host", "started", "ended", *INCIDENT_COLUMNS],
    "new_offenders": OFFENDER_COLUMNS,
    "user_history": ["started", "ended", "host", *INCIDENT_COLUMNS],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("queries") / "wh"
    run_ingest([FLEET], root)
    return root


def run_named(root: Path, name: str, **params: str) -> list[dict[str, Any]]:
    result = run_sql(root, named.load(name), params)
    return records(result)


def records(result: QueryResult) -> list[dict[str, Any]]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def when(text: str) -> datetime:
    """A truth.json time ('...Z', UTC) as the naive UTC datetime DuckDB returns."""
    return datetime.fromisoformat(text).replace(tzinfo=None)


def body(path: Path) -> str:
    """The SQL of `path` without its comments."""
    return re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))


def hivewatch(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


# ------------------------------------------------------------------------------ the files


def test_the_layers_are_there() -> None:
    assert {p.stem for p in STAGING_FILES} >= {
        "stg_incidents",
        "stg_leaks",
        "stg_profile_events",
        "stg_offenders",
        "stg_remediation",
    }
    assert {p.stem for p in MART_FILES} >= {
        "events_by_host",
        "events_of_host",
        "ingest_problems",
        "offenders",
        "offending_processes",
        "offending_keys",
        "incidents_by_class",
        "host_history",
        "new_offenders",
        "user_history",
    }
    assert list(named.staging()) == [p.stem for p in VIEW_FILES], "staging first, each by name"
    assert list(named.available()) == [p.stem for p in MART_FILES]


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_every_file_opens_with_its_header(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("-- ") and not lines[0].startswith("-- inputs:")
    fields = [line.split(":", 1)[0] for line in lines[1:4]]
    assert fields == ["-- inputs", "-- output", "-- parameters"]
    header = named.header(path)
    assert header.description == lines[0][3:].strip()
    assert all(header.fields[f] for f in named.HEADER_FIELDS)
    declared = header.parameters
    if not declared:
        assert header.fields["parameters"] == "none"
    used = sorted(set(re.findall(r"\$([A-Za-z_]\w*)", body(path))))
    assert used == sorted(declared), "the parameters line names exactly the $names used"
    assert not re.search(r"\?|\$\d", body(path)), "named parameters only"


@pytest.mark.parametrize("path", STAGING_FILES, ids=lambda p: p.stem)
def test_staging_only_selects_and_renames_one_table(path: Path) -> None:
    sql = " ".join(body(path).split())
    assert ";" not in sql and "(" not in sql, "no statements after it, no calls or subqueries"
    match = re.fullmatch(r"select (.+) from (\w+)", sql, re.IGNORECASE)
    assert match, "one SELECT from one table, no WHERE, JOIN or GROUP BY"
    items, table = match.group(1).split(", "), match.group(2)
    assert table in TABLES
    assert named.header(path).fields["inputs"] == table
    sources = []
    for item in items:
        column = re.fullmatch(r"(\w+)(?: as (\w+))?", item.strip(), re.IGNORECASE)
        assert column, f"{item!r} is not a column or a rename"
        sources.append(column.group(1))
    assert sources == TABLES[table].names, "every column, in the table's order"


@pytest.mark.parametrize("path", MART_FILES + INTERMEDIATE_FILES, ids=lambda p: p.stem)
def test_marts_chain_ctes_over_staging(path: Path) -> None:
    """Marts, and the intermediate views marts share, read the views declared before them."""
    sql = body(path)
    ctes = set(re.findall(r"(\w+) as \(", sql, re.IGNORECASE))
    read = set(re.findall(r"\b(?:from|join)\s+(\w+)", sql, re.IGNORECASE)) - ctes
    assert not read & set(TABLES), "marts read staging views, not tables"
    views = list(named.staging())
    readable = views[: views.index(path.stem)] if path.stem in views else views
    assert read <= set(readable), "only views declared before it"
    inputs = {s.strip() for s in named.header(path).fields["inputs"].split(",")}
    assert inputs == read
    assert re.match(r"\s*with\s", sql, re.IGNORECASE)
    assert re.findall(r"(\w+) as \(", sql, re.IGNORECASE)[-1] == "final", "the chain ends in final"
    ending = (
        r"\)\s*select \* from final\s*$"
        if path in INTERMEDIATE_FILES
        else (r"\)\s*select \* from final\s+order by [^;]+$")
    )
    assert re.search(ending, sql)


# ------------------------------------------------------------------------------ every file runs


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_every_query_runs_against_the_fleet(warehouse: Path, path: Path) -> None:
    assert path.stem in EXPECTED_COLUMNS, "new query file: add its columns to this test"
    if path in VIEW_FILES:
        result = run_sql(warehouse, f"select * from {path.stem}")  # our own file name
    else:
        declared = named.header(path).parameters
        unknown = [p for p in declared if p not in SAMPLE_PARAMETERS]
        assert not unknown, f"add sample values for {unknown} to SAMPLE_PARAMETERS"
        result = run_sql(
            warehouse, named.load(path.stem), {p: SAMPLE_PARAMETERS[p] for p in declared}
        )
    assert result.columns == EXPECTED_COLUMNS[path.stem]
    assert result.rows


def test_staging_views_keep_the_table_rows(warehouse: Path) -> None:
    for path in STAGING_FILES:
        table = named.header(path).fields["inputs"]
        counts = run_sql(
            warehouse, f"select (select count(*) from {path.stem}), (select count(*) from {table})"
        )
        assert counts.rows[0][0] == counts.rows[0][1], path.stem


# ------------------------------------------------------------------------------ against the truth


def offender_tuple(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in OFFENDER_COLUMNS)


def truth_offender(o: dict[str, Any]) -> tuple[Any, ...]:
    return (
        o["process_name"],
        o["key"],
        o["incidents"],
        o["hosts"],
        o["users"],
        when(o["first_seen"]),
        when(o["last_seen"]),
    )


def test_offenders_in_the_truth_order_with_advice(warehouse: Path) -> None:
    got = run_named(warehouse, "offenders")
    assert [offender_tuple(r) for r in got] == [truth_offender(o) for o in TRUTH["offenders"]]
    by_pair = {(r["process_name"], r["key"]): r for r in got}
    dllhost = by_pair["dllhost.exe", "HKCU\\Software\\Classes"]
    assert "COM+" in dllhost["advice"] and "classes hive" in dllhost["advice"]
    pieces = dllhost["advice"].split("\n")
    assert pieces[0].startswith("dllhost.exe"), "process advice before key advice"
    assert dllhost["reference"] == "; ".join(sorted(set(dllhost["reference"].split("; "))))
    unknown = by_pair[
        "litdict.exe", "HKCU\\Software\\Litware Inc\\Dictation (Pro)\\Profiles\\H001-2969"
    ]
    assert unknown["advice"] is None and unknown["reference"] is None


def test_new_offenders_split_as_the_truth_says(warehouse: Path) -> None:
    firsts = sorted({when(o["first_seen"]) for o in TRUTH["offenders"]})
    since = "2024-03-05"
    assert firsts[0] < datetime(2024, 3, 5) <= firsts[-1], "the date splits the offenders"
    got = run_named(warehouse, "new_offenders", since=since)
    want = [
        truth_offender(o)
        for o in TRUTH["offenders"]
        if when(o["first_seen"]) >= datetime(2024, 3, 5)
    ]
    assert [offender_tuple(r) for r in got] == want
    assert 0 < len(got) < len(TRUTH["offenders"])
    later = run_named(warehouse, "new_offenders", since="2024-03-05 19:00:00")
    assert {offender_tuple(r) for r in later} < {offender_tuple(r) for r in got}


def test_new_offenders_since_an_age(warehouse: Path) -> None:
    """An age counts back from now, as the report's --since does."""
    age = (datetime.now() - datetime(2024, 3, 5)).days
    everything = run_named(warehouse, "new_offenders", since="2024-01-01")
    assert run_named(warehouse, "new_offenders", since=f"{age + 2}d") == everything
    assert run_named(warehouse, "new_offenders", since=f"{age // 7 + 2}W") == everything
    assert run_named(warehouse, "new_offenders", since="7d") == []
    with pytest.raises(UsageError, match=r"-p since 7 days: want a date .* or an age \(7d, 4w\)"):
        run_named(warehouse, "new_offenders", since="7 days")


def test_offending_processes_count_incidents_and_hosts(warehouse: Path) -> None:
    incidents: dict[str, set[int]] = {}
    hosts: dict[str, set[str]] = {}
    keys: dict[str, set[str]] = {}
    for n, incident in enumerate(TRUTH["incidents"]):
        for process in incident["processes"]:
            incidents.setdefault(process, set()).add(n)
        for leak in incident["leaks"]:
            hosts.setdefault(leak["process_name"], set()).add(incident["host"])
            keys.setdefault(leak["process_name"], set()).add(leak["key"].lower())
    want = sorted(
        ((p, len(hosts[p]), len(incidents[p]), len(keys[p])) for p in incidents),
        key=lambda t: (-t[1], -t[2], t[0]),
    )
    got = run_named(warehouse, "offending_processes")
    assert [(r["process_name"], r["hosts"], r["incidents"], r["keys"]) for r in got] == want
    svchost = next(r for r in got if r["process_name"] == "svchost.exe")
    assert "LocalService or NetworkService" in svchost["advice"]


def test_offending_keys_fold_case_and_show_the_common_spelling(warehouse: Path) -> None:
    spellings: Counter[str] = Counter()
    incidents: dict[str, set[int]] = {}
    for n, incident in enumerate(TRUTH["incidents"]):
        for key in incident["keys"]:
            incidents.setdefault(key.lower(), set()).add(n)
        for leak in incident["leaks"]:
            spellings[leak["key"]] += 1
    got = run_named(warehouse, "offending_keys")
    assert len(got) == len(incidents) == len({r["key"].lower() for r in got})
    for row in got:
        folded = row["key"].lower()
        assert row["incidents"] == len(incidents[folded])
        rivals = [(-c, k) for k, c in spellings.items() if k.lower() == folded]
        assert row["key"] == min(rivals)[1]
    ranking = [(-r["hosts"], -r["incidents"], r["key"].lower()) for r in got]
    assert ranking == sorted(ranking)
    folded_spellings = Counter(k.lower() for k in spellings)
    assert max(folded_spellings.values()) > 1, "the fleet logs a key in two spellings"


def test_incidents_by_class_add_up_to_the_truth(warehouse: Path) -> None:
    got = run_named(warehouse, "incidents_by_class")
    totals: Counter[str] = Counter()
    for row in got:
        totals[row["incident_class"]] += row["incidents"]
        assert row["week"].weekday() == 0, "weeks start on Monday"
        assert row["remediated"] == row["by_profile_service"] + row["by_uphclean"]
    assert totals == Counter(i["class"] for i in TRUTH["incidents"])
    remediated = sum(r["remediated"] for r in got)
    assert remediated == sum(i["remediated_by"] != "none" for i in TRUTH["incidents"])
    leak = next(r for r in got if r["incident_class"] == "unload_access_denied")
    assert leak["os_families"] == "nt4, win2000"
    assert "xp2003:" not in leak["advice"] and "nt4: " in leak["advice"]


def incident_tuple(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["host"],
        row["started"],
        row["ended"],
        row["incident_class"],
        row["user_sid"],
        row["remediated_by"],
        row["processes"],
        row["keys"],
    )


def truth_incident(i: dict[str, Any], sid: str | None = None) -> tuple[Any, ...]:
    return (
        i["host"],
        when(i["started"]),
        when(i["ended"]),
        i["class"],
        sid or i["user_sid"],
        i["remediated_by"],
        i["processes"],
        i["keys"],
    )


@pytest.mark.parametrize("host", [HOST, HOST.upper(), "ws-3554"])
def test_host_history_is_the_truth_of_that_host(warehouse: Path, host: str) -> None:
    got = run_named(warehouse, "host_history", host=host)
    want = sorted(truth_incident(i) for i in TRUTH["incidents"] if i["host"] == HOST)
    assert [incident_tuple(r) for r in got] == want and want


@pytest.mark.parametrize("host", [HOST, HOST.upper(), "ws-3554"])
def test_events_of_host_finds_a_host_as_host_history_does(warehouse: Path, host: str) -> None:
    got = run_named(warehouse, "events_of_host", host=host)
    (count,) = run_sql(warehouse, "select count(*) from events where host = $h", {"h": HOST}).rows[
        0
    ]
    assert len(got) == count > 0


@pytest.mark.parametrize("user", [YHOLM_SID, YHOLM_SID.lower(), "yholm", "CONTOSO\\YHOLM"])
def test_user_history_by_sid_or_account_name(warehouse: Path, user: str) -> None:
    got = run_named(warehouse, "user_history", user=user)
    mine = [i for i in TRUTH["incidents"] if (i["account"] or {}).get("sid") == YHOLM_SID]
    assert any(i["user_sid"] is None for i in mine), "one incident names the account alone"
    assert len({i["host"] for i in mine}) > 1
    want = sorted(
        (when(i["started"]), i["host"], i["class"], YHOLM_SID, "CONTOSO\\yholm") for i in mine
    )
    assert [
        (r["started"], r["host"], r["incident_class"], r["user_sid"], r["user_name"]) for r in got
    ] == want


def test_user_history_matches_whole_names_only(warehouse: Path) -> None:
    assert run_named(warehouse, "user_history", user="holm") == []
    assert run_named(warehouse, "user_history", user="%") == []


# ------------------------------------------------------------------------------ guards and CLI


def test_staging_sql_passes_the_read_only_check() -> None:
    assert staging_view_sql("stg_x", "-- c\nselect 1 as a").startswith(
        'CREATE OR REPLACE TEMP VIEW "stg_x" AS select 1'
    )
    for bad in ("drop view events", "select 1; select 2", "select $x", "copy events to 'x'"):
        with pytest.raises(UsageError, match="stg_x"):
            staging_view_sql("stg_x", bad)


def test_query_list_shows_marts_not_staging() -> None:
    listing = hivewatch("query", "--list")
    assert listing.exit_code == 0
    listed = {line.split()[0]: line for line in listing.stdout.splitlines()}
    assert set(listed) == set(named.available())
    assert not any(name.startswith("stg_") for name in listed)
    assert named.description(named.available()["offenders"]) in listed["offenders"]


def test_sql_reads_staging_views(warehouse: Path) -> None:
    result = hivewatch(
        "sql",
        "select count(*) as n from stg_incidents where incident_class = $cls",
        "-p",
        "cls",
        "hive_leak_forced_unload",
        "--format",
        "csv",
        "-w",
        str(warehouse),
    )
    want = sum(i["class"] == "hive_leak_forced_unload" for i in TRUTH["incidents"])
    assert result.exit_code == 0 and result.stdout == f"n\n{want}\n"


def test_staging_views_are_read_only(warehouse: Path) -> None:
    result = hivewatch("sql", "drop view stg_incidents", "-w", str(warehouse))
    assert result.exit_code == 2 and "read-only" in result.stderr
    again = hivewatch("sql", "select count(*) from stg_incidents", "-w", str(warehouse))
    assert again.exit_code == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["query", "new_offenders"], "missing parameter since: give -p since VALUE"),
        (["query", "user_history", "-p", "usr", "x"], "missing parameter user"),
        (["query", "offenders", "-p", "since", "2024-01-01"], "unknown parameter since"),
        (["query", "new_offenders", "-p", "since", "last tuesday"], "last tuesday"),
    ],
)
def test_parameter_mistakes_are_one_line(warehouse: Path, args: list[str], words: str) -> None:
    result = hivewatch(*args, "-w", str(warehouse))
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hivewatch: ") and words in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_broken_staging_file_is_one_clear_error(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "queries"
    fake.mkdir()
    (fake / "stg_bad.sql").write_text("-- bad\nselect nosuch from events\n", encoding="utf-8")
    monkeypatch.setattr(named, "queries_dir", lambda: fake)
    with pytest.raises(UsageError, match=r"staging query stg_bad: .*nosuch"):
        run_sql(warehouse, "select 1")
    result = hivewatch("sql", "select 1", "-w", str(warehouse))
    assert result.exit_code == 2 and "stg_bad" in result.stderr
