"""Results are written as they are fetched, block by block: the same text as the whole result
written at once, a file that appears whole or not at all, and memory that does not grow
with the result (the last is measured by `make bench`, not asserted here)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import orjson
import pytest
from click.testing import CliRunner, Result

from pipeline.cli import main, rows_to
from pipeline.errors import HivewatchError
from pipeline.ingest.run import Summary
from pipeline.query import output, sql
from pipeline.query.sql import RowStream, run_sql

# 10,000 rows, some values much wider than others, a newline in one, and NULLs
ROWS_SQL = (
    "select i, repeat('x', (i * 7919) % 23) as text, "
    "case when i % 1000 = 999 then 'two' || chr(10) || 'lines' end as odd "
    "from range(10000) t(i) order by i"
)


def hivewatch(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="hivewatch")


@pytest.fixture()
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql, "BLOCK_ROWS", 250)
    monkeypatch.setattr(output, "ALIGN_ROWS", 1000)


@pytest.fixture(scope="module")
def warehouse(samples_warehouse: tuple[Path, Summary]) -> str:
    return str(samples_warehouse[0])


def test_csv_and_json_are_the_whole_result_block_by_block(
    warehouse: str, small_blocks: None
) -> None:
    whole = run_sql(Path(warehouse), ROWS_SQL).rows
    got = hivewatch("sql", ROWS_SQL, "-w", warehouse, "--format", "csv")
    assert got.exit_code == 0
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\n").writerows(
        [["i", "text", "odd"], *[["" if v is None else v for v in row] for row in whole]]
    )
    assert got.stdout == expected.getvalue()

    got = hivewatch("sql", ROWS_SQL, "-w", warehouse, "--format", "json")
    records = [dict(zip(("i", "text", "odd"), row, strict=True)) for row in whole]
    assert got.exit_code == 0
    assert got.stdout == orjson.dumps(records, option=orjson.OPT_INDENT_2).decode() + "\n"
    empty = hivewatch("sql", "select 1 as n where false", "-w", warehouse, "--format", "json")
    assert json.loads(empty.stdout) == [] and empty.stdout == "[]\n"


def test_a_table_aligns_on_its_first_rows_and_counts_them_all(
    warehouse: str, small_blocks: None
) -> None:
    got = hivewatch("sql", ROWS_SQL, "-w", warehouse)
    assert got.exit_code == 0
    header, rule, *rows, count = got.stdout.splitlines()
    assert header.split() == ["i", "text", "odd"]
    assert count == "(10000 rows)" and len(rows) == 10000
    widths = [len(dashes) for dashes in rule.split("  ")]
    assert widths == [3, 22, 10]  # over rows 0-999: i to 999, 22 x's, 'two\\nlines'
    x = (999 * 7919) % 23
    assert rows[999] == "999  " + "x" * x + " " * (22 - x) + "  two\\nlines"
    assert rows[9999].startswith("9999 ")  # wider than its column: the line is pushed out


def test_a_query_failing_midway_leaves_no_file(warehouse: str, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("the previous export\n")
    failing = (
        "select case when i < 9000 then i else error('boom at ' || i) end from range(10000) t(i)"
    )
    got = hivewatch("sql", failing, "-w", warehouse, "--format", "csv", "-o", str(target))
    assert got.exit_code == 2 and "boom at" in got.stderr
    assert target.read_text() == "the previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left


def test_rows_already_on_stdout_are_not_written_twice(capsys: pytest.CaptureFixture[str]) -> None:
    """stream_sql calls its consumer again after a commit replaced the catalog; rows sent
    to stdout cannot be taken back, so the second call is refused, unless the first wrote
    nothing (a table holds its first rows back to align them)."""

    def gone() -> Iterator[list[tuple[object, ...]]]:
        raise duckdb.IOException("No files found that match the pattern")
        yield []

    to_stdout = rows_to("table", None)
    with pytest.raises(duckdb.IOException):
        to_stdout(RowStream(["n"], ["INTEGER"], gone()))
    to_stdout(RowStream(["n"], ["INTEGER"], iter([[(1,)]])))
    assert capsys.readouterr().out == "n\n-\n1\n(1 row)\n"
    with pytest.raises(HivewatchError, match="run the query again"):
        to_stdout(RowStream(["n"], ["INTEGER"], iter([[(1,)]])))


def test_a_file_is_replaced_through_its_link_with_its_mode_and_a_pipe_written_to(
    warehouse: str, tmp_path: Path
) -> None:
    target = tmp_path / "target.csv"
    target.write_text("old\n")
    target.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    got = hivewatch("sql", "select 42 as n", "-w", warehouse, "--format", "csv", "-o", str(link))
    assert got.exit_code == 0 and link.is_symlink() and target.read_text() == "n\n42\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    got = hivewatch("sql", "select 42 as n", "-w", warehouse, "--format", "csv", "-o", str(pipe))
    reader.join(timeout=30)
    assert got.exit_code == 0 and stat.S_ISFIFO(pipe.lstat().st_mode)
    assert received == [b"n\n42\n"]


def test_json_keeps_an_integer_past_64_bits_a_number(warehouse: str) -> None:
    big = 1180591620717411303424  # 2**70
    query = f"select i, case when i = 1 then {big}::hugeint else i end as h from range(3) t(i)"
    got = hivewatch("sql", query, "-w", warehouse, "--format", "json")
    assert got.exit_code == 0
    assert json.loads(got.stdout) == [{"i": 0, "h": 0}, {"i": 1, "h": big}, {"i": 2, "h": 2}]


TYPED_SQL = (
    "select i::tinyint a, 'x' || i b, timestamp '2024-03-04 00:00:56.5' + to_seconds(i) c,"
    " [i, 2] d, {'a': i} e, '\\x00a'::blob f, i / 3 g, 1.5::decimal(4, 2) h, '{\"k\": 1}'::json j,"
    " map {'a': i} m, [i, 2]::integer[2] arr, date '2024-03-04' + i::integer dd,"
    " '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid u, i % 2 = 0 bo, i::hugeint hi,"
    " (timestamp '2024-03-04 00:00:56' + to_seconds(i))::timestamptz tz, null n, i::ubigint ub,"
    " case when i = 1 then null else ['k\\1'] end l"
    " from range(3) t(i)"
)


def test_csv_writes_every_type_as_the_table_shows_it(warehouse: str) -> None:
    """Columns of plain types go to the csv module as they are; it must write them as
    `_text` would, and `_text` must still format the others."""
    whole = run_sql(Path(warehouse), TYPED_SQL)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerows([whole.columns, *[[output._text(v) for v in row] for row in whole.rows]])
    got = hivewatch("sql", TYPED_SQL, "-w", warehouse, "--format", "csv")
    assert got.exit_code == 0 and got.stdout == expected.getvalue()
    plain = {t for t in whole.types if output.PLAIN.fullmatch(t)}
    assert {"TIMESTAMP", "DECIMAL(4,2)", "UUID", "HUGEINT", "UBIGINT", "DATE"} <= plain
    assert "TIMESTAMP WITH TIME ZONE" in plain  # `now()`: DuckDB needs pytz to hand it over
    assert not plain & {"INTEGER[]", "BLOB", "INTEGER[2]", "STRUCT(a BIGINT)", "VARCHAR[]"}


def test_dev_stdout_redirected_to_a_file_is_appended_to(warehouse: str, tmp_path: Path) -> None:
    """`-o /dev/stdout >> log` must add to the log, not rename a new file over it."""
    log = tmp_path / "log.txt"
    log.write_text("earlier\n")
    command = [sys.executable, "-m", "pipeline", "sql", "select 42 as n", "-w", warehouse]
    with log.open("a") as redirected:
        done = subprocess.run(
            [*command, "--format", "csv", "-o", "/dev/stdout"], stdout=redirected, check=False
        )
    assert done.returncode == 0 and log.read_text() == "earlier\nn\n42\n"


def test_now_is_utc_whatever_the_machine_zone(warehouse: str) -> None:
    """`time_created` is UTC, so `now()` and `current_date` must be too: on a machine in
    Tokyo, `time_created >= now() - interval 7 day` would otherwise be nine hours off."""
    command = [sys.executable, "-m", "pipeline", "sql", "-w", warehouse, "--format", "json"]
    query = "select now()::timestamp as t, current_setting('TimeZone') as zone"
    done = subprocess.run(
        [*command, query],
        env={**os.environ, "TZ": "Asia/Tokyo"},
        capture_output=True,
        text=True,
        check=True,
    )
    (row,) = json.loads(done.stdout)
    shown = datetime.fromisoformat(row["t"]).replace(tzinfo=UTC)
    assert row["zone"] == "UTC"
    assert abs(shown - datetime.now(UTC)) < timedelta(minutes=5)
