"""The command line: exit codes, one-line errors, the read-only guard, output formats, help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from pipeline.cli import main
from pipeline.ingest.run import Summary
from pipeline.query.sql import run_sql
from tests.conftest import EVTX_SAMPLES, ROOT


def hivewatch(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="hivewatch")


def one_line_error(result: Result, code: int) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hivewatch: ")
    return lines[0]


@pytest.fixture(scope="module")
def warehouse(samples_warehouse: tuple[Path, Summary]) -> str:
    return str(samples_warehouse[0])


def test_every_command_has_help() -> None:
    assert isinstance(main, click.Group)
    for name, command in main.commands.items():
        assert command.help and len(command.help) > 20, name
        result = hivewatch(name, "--help")
        assert result.exit_code == 0 and "Usage:" in result.stdout
    assert hivewatch("--help").exit_code == 0


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0 and "ingest" in done.stdout


@pytest.mark.parametrize("module", ["pipeline.cli_report", "pipeline.cli_ingest", "pipeline.cli"])
def test_each_command_module_imports_first(module: str) -> None:
    """No import cycle between the command modules, whichever a script imports first."""
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}, pipeline.cli"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_ingest_exit_codes_and_summary(tmp_path: Path) -> None:
    clean = hivewatch("ingest", str(EVTX_SAMPLES / "TestLogX.evtx"), "-w", str(tmp_path / "a"))
    assert clean.exit_code == 0
    assert clean.stdout.strip().splitlines()[-1].startswith("1 files (1 read")
    assert "5 records (5 new)" in clean.stdout
    bad = tmp_path / "bad.evtx"
    bad.write_bytes(b"\x00" * 100)
    mixed = hivewatch(
        "ingest", str(bad), str(EVTX_SAMPLES / "TestLogX.evtx"), "-w", str(tmp_path / "b")
    )
    assert mixed.exit_code == 1
    assert f"hivewatch: rejected {bad}: not an event log" in mixed.stderr
    assert "5 records" in mixed.stdout


def test_ingest_excludes_what_folders_hold_by_name_or_path(tmp_path: Path) -> None:
    """A collection folder with notes beside the logs exits 0 once they are excluded."""
    logs = tmp_path / "collected"
    sample = (EVTX_SAMPLES / "TestLogX.evtx").read_bytes()
    for name in ("WS-1/System.evtx", "WS-1/notes.txt", "old/WS-2/System.evtx", "README.md"):
        (logs / name).parent.mkdir(parents=True, exist_ok=True)
        (logs / name).write_bytes(sample if name.endswith(".evtx") else b"collected weekly")
    (logs / "old" / "WS-2" / "System.evtx").write_bytes(sample[:-1] + b"x")  # other content
    every = hivewatch("ingest", str(logs), "-w", str(tmp_path / "a"))
    assert every.exit_code == 1 and every.stdout.startswith("4 files (2 read")
    assert "rejected" in every.stderr and "notes.txt" in every.stderr
    quiet = hivewatch(
        "ingest", str(logs), "-w", str(tmp_path / "b"), "--exclude", "*.txt", "--exclude", "README*"
    )
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    assert quiet.stdout.startswith("2 files (2 read")
    # a folder that matches by its path below the one given is not entered
    pruned = hivewatch(
        "ingest", str(logs), "-w", str(tmp_path / "c"), "--exclude", "*.txt", "--exclude", "old/"
    )
    assert pruned.exit_code == 1 and pruned.stdout.startswith("2 files (1 read")
    assert "README.md" in pruned.stderr  # offered: WS-1/System.evtx and README.md
    by_path = hivewatch("ingest", str(logs), "-w", str(tmp_path / "d"), "--exclude", "WS-1/*")
    assert by_path.stdout.startswith("2 files (1 read")  # old/WS-2/System.evtx, README.md
    whole = hivewatch(
        "ingest",
        str(logs),
        "-w",
        str(tmp_path / "w"),
        "--exclude",
        f"{logs}/old",
        "--exclude",
        "*.md",
    )
    assert whole.stdout.startswith("2 files (1 read")  # WS-1's two files
    # a file named on the command line is read whatever the patterns say
    named = hivewatch(
        "ingest", str(logs / "WS-1" / "notes.txt"), "-w", str(tmp_path / "e"), "--exclude", "*"
    )
    assert named.exit_code == 1 and "notes.txt: not an event log" in named.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["ingest"], "Missing argument 'PATHS...' (see 'hivewatch ingest --help')"),
        (["ingest", "x", "--engine", "java"], "'java' is not one of"),
        (["ingest", "x", "--jobs", "0"], "0 is not in the range"),
        (["ingest", "x", "--bogus"], "No such option '--bogus'"),
        (["sql"], "Missing argument 'QUERY'"),
        (["report", "-o"], "Option '-o' requires an argument"),
        (["nosuch"], "No such command 'nosuch' (see 'hivewatch --help')"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], words: str) -> None:
    """Click's own usage errors too: the contract's errors are one line, exit 2."""
    assert words in one_line_error(hivewatch(*args), 2)


@pytest.mark.parametrize(
    "statement",
    [
        "insert into events select * from events",
        "copy (select 1) to '/tmp/hivewatch-should-not-exist.csv'",
        "attach '/tmp/hivewatch-other.duckdb' as other",
        "create table t as select 1",
        "drop view events",
        "select 1; delete from events",
    ],
)
def test_sql_refuses_writes(warehouse: str, statement: str) -> None:
    line = one_line_error(hivewatch("sql", statement, "-w", warehouse), 2)
    assert "read-only" in line
    assert not Path("/tmp/hivewatch-should-not-exist.csv").exists()


def test_sql_refusal_names_the_statement_as_written(warehouse: str) -> None:
    line = one_line_error(hivewatch("sql", "install httpfs", "-w", warehouse), 2)
    assert "read-only: INSTALL statements are not allowed, only SELECT" in line
    line = one_line_error(hivewatch("sql", "checkpoint", "-w", warehouse), 2)
    assert "read-only: CHECKPOINT statements are not allowed, only SELECT" in line


def test_sql_cannot_read_outside_the_warehouse(warehouse: str) -> None:
    line = one_line_error(
        hivewatch("sql", "select * from read_csv('/etc/passwd')", "-w", warehouse), 2
    )
    assert "Permission" in line


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ("selec 1", "syntax error"),
        ("select * from nosuch", "nosuch"),
        ("select $x", "x"),
        ("select 1 as a; select 2 as b", "one statement at a time: this SQL holds 2"),
    ],
)
def test_sql_errors_are_one_line(warehouse: str, statement: str, words: str) -> None:
    assert words in one_line_error(hivewatch("sql", statement, "-w", warehouse), 2)


def test_sql_without_a_warehouse(tmp_path: Path) -> None:
    line = one_line_error(hivewatch("sql", "select 1", "-w", str(tmp_path / "none")), 2)
    assert "no warehouse" in line


def test_sql_parameters_and_formats(warehouse: str, tmp_path: Path) -> None:
    query = "select host, count(*) as n from events where host = $host group by host"
    table = hivewatch("sql", query, "-p", "host", "WIN-P4SIAA0SQCO", "-w", warehouse)
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split() == ["host", "n"]
    assert "WIN-P4SIAA0SQCO" in table.stdout and table.stdout.endswith("(1 row)\n")
    as_csv = hivewatch(
        "sql", query, "-p", "host", "WIN-P4SIAA0SQCO", "--format", "csv", "-w", warehouse
    )
    assert as_csv.stdout.splitlines()[0] == "host,n"
    target = tmp_path / "out.json"
    as_json = hivewatch(
        "sql",
        "select event_data, time_created from events where event_id = 6009 and record_id = 1"
        " and host = $host",
        "-p",
        "host",
        "WIN-P4SIAA0SQCO",
        "--format",
        "json",
        "-o",
        str(target),
        "-w",
        warehouse,
    )
    assert as_json.exit_code == 0 and as_json.stdout == ""
    records = json.loads(target.read_text())
    assert records[0]["event_data"]["strings"][0] == "10.00."  # JSON embedded, not a string
    assert records[0]["time_created"].startswith("2017-07-12T17:16:28.214")


def test_named_queries(warehouse: str) -> None:
    listing = hivewatch("query", "--list")
    assert listing.exit_code == 0 and "events_by_host" in listing.stdout
    shown = {line.split()[0]: line for line in listing.stdout.splitlines()}
    assert shown["events_of_host"].endswith("-p host VALUE")
    assert "-p" not in shown["events_by_host"]
    ran = hivewatch("query", "ingest_problems", "-w", warehouse, "--format", "csv")
    assert ran.exit_code == 0 and "sysmon.evtx,evtx,partial" in ran.stdout
    host = hivewatch("query", "events_of_host", "-p", "host", "win-p4siaa0sqco", "-w", warehouse)
    expected = run_sql(
        Path(warehouse), "select count(*) from events where host = 'WIN-P4SIAA0SQCO'"
    )
    assert host.exit_code == 0 and host.stdout.strip().endswith(f"({expected.rows[0][0]} rows)")
    assert "no query named" in one_line_error(hivewatch("query", "nope", "-w", warehouse), 2)
    twice = hivewatch(
        "query", "events_of_host", "-p", "host", "a", "-p", "host", "b", "-w", warehouse
    )
    assert "-p host given twice ('a', 'b')" in one_line_error(twice, 2)


def test_debug_shows_the_traceback_and_keeps_the_exit_code(tmp_path: Path) -> None:
    result = hivewatch("sql", "select 1", "-w", str(tmp_path / "none"), "--debug")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "UsageError" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("hivewatch: no warehouse")
    before = hivewatch("--debug", "sql", "select 1", "-w", str(tmp_path / "none"))
    assert before.exit_code == 2 and "Traceback" in before.stderr


def test_output_into_a_new_folder_or_to_stdout(warehouse: str, tmp_path: Path) -> None:
    target = tmp_path / "new" / "folder" / "out.csv"
    into = hivewatch("sql", "select 42 as n", "--format", "csv", "-o", str(target), "-w", warehouse)
    assert into.exit_code == 0 and target.read_text() == "n\n42\n"
    dash = hivewatch("sql", "select 42 as n", "--format", "csv", "-o", "-", "-w", warehouse)
    assert dash.exit_code == 0 and dash.stdout == "n\n42\n"
    blocked = tmp_path / "file"
    blocked.write_text("")
    line = one_line_error(
        hivewatch("sql", "select 1", "-o", str(blocked / "x.csv"), "-w", warehouse), 3
    )
    assert line == f"hivewatch: cannot write {blocked / 'x.csv'}: {blocked} is a file, not a folder"
    deeper = hivewatch("fixtures", str(blocked / "a" / "fleet"))
    line = one_line_error(deeper, 3)
    assert line.endswith(f": {blocked} is a file, not a folder")


def test_a_part_missing_from_the_warehouse_is_one_line(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    ingested = hivewatch("ingest", str(EVTX_SAMPLES / "TestLogX.evtx"), "-w", str(root))
    assert ingested.exit_code == 0
    for part in (root / "events").glob("*.parquet"):
        part.unlink()
    line = one_line_error(hivewatch("sql", "select count(*) from events", "-w", str(root)), 3)
    assert f"the warehouse at {root} is damaged: events/" in line and "is missing" in line


def test_fixtures_replace_an_earlier_fleet_and_refuse_other_folders(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    assert hivewatch("fixtures", str(fleet), "--hosts", "5", "--days", "1").exit_code == 0
    smaller = hivewatch("fixtures", str(fleet), "--hosts", "2", "--days", "1", "--seed", "3")
    assert smaller.exit_code == 0
    truth = json.loads((fleet / "truth.json").read_text())
    on_disk = {p.relative_to(fleet).as_posix() for p in fleet.rglob("*") if p.is_file()}
    assert on_disk == {f["path"] for f in truth["files"]} | {"truth.json"}
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    line = one_line_error(hivewatch("fixtures", str(other), "--hosts", "2", "--days", "1"), 2)
    assert "is not empty and holds no fleet" in line
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_lists_structs_and_blobs_print_as_duckdb_shows_them(warehouse: str) -> None:
    query = r"select ['HKCU\Software\Classes', NULL] as k, {'x': 1} as s, 'a\x5Cb'::blob as b"
    as_csv = hivewatch("sql", query, "--format", "csv", "-w", warehouse)
    assert as_csv.exit_code == 0
    assert as_csv.stdout.splitlines()[1] == r""""[HKCU\Software\Classes, NULL]",{'x': 1},a\x5Cb"""
    table = hivewatch("sql", query, "-w", warehouse)
    assert r"[HKCU\Software\Classes, NULL]" in table.stdout


def test_a_reader_that_stops_early_is_no_error() -> None:
    """`hivewatch query --list | head -1`: the pipe closes before the listing is written."""
    listing = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "query", "--list"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.close()  # before the interpreter has even imported the CLI
    errors = listing.stderr.read()
    assert listing.wait(timeout=60) == 0 and errors == b""
