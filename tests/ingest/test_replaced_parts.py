"""A commit deletes the parts its catalog stops listing, so a folder glob reads what the views
read; a reader that meets a part deleted under it reads again from the new catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.errors import HivewatchError
from pipeline.query.sql import read_consistently
from pipeline.store.catalog import CATALOG, read_parts
from pipeline.store.schemas import TABLES
from tests.conftest import ROOT, run_ingest

FLEET = ROOT / "fixtures"
HOSTS = sorted(p for p in FLEET.iterdir() if p.is_dir() and p.name != "damaged")
FIRST, SECOND = HOSTS[: len(HOSTS) // 2], HOSTS[len(HOSTS) // 2 :]


def on_disk(root: Path, table: str) -> set[str]:
    return {f"{table}/{p.name}" for p in (root / table).glob("*.parquet")}


def count(root: Path, table: str) -> int:
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        (rows,) = con.execute(f"select count(*) from {table}").fetchone() or (0,)
    return int(rows)


def test_table_folders_hold_only_the_listed_parts(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    listed = []
    for batch in (FIRST, SECOND):
        run_ingest(list(batch), root)
        parts = read_parts(root)
        listed.append(parts)
        for table in TABLES:
            assert on_disk(root, table) == set(parts[table]), table
        for table in (name for name, t in TABLES.items() if not t.internal):
            folder = root / table / "*.parquet"
            globbed = pl.scan_parquet(folder).select(pl.len()).collect().item()
            assert globbed == count(root, table), table
    # the second batch rebuilt the analytic tables: the first batch's parts are gone
    assert listed[0]["offenders"] and listed[0]["offenders"] != listed[1]["offenders"]
    assert not (root / listed[0]["offenders"][0]).exists()


def test_a_reader_that_meets_a_commit_reads_the_new_catalog(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    run_ingest(list(FIRST), root)
    before = count(root, "offenders")
    attempts = []

    def offenders(con: duckdb.DuckDBPyConnection) -> int:
        attempts.append(con)
        if len(attempts) == 1:  # another process commits while this reader is open
            ingest = [sys.executable, "-m", "pipeline", "ingest", *map(str, SECOND)]
            subprocess.run([*ingest, "-w", str(root), "--jobs", "1"], check=True)
        (rows,) = con.execute("select count(*) from offenders").fetchone() or (0,)
        return int(rows)

    after = read_consistently(root, offenders)
    assert len(attempts) == 2  # the first read failed on a deleted part
    assert after == count(root, "offenders") and after != before


def test_a_missing_part_with_the_catalog_unchanged_is_not_retried(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    run_ingest(list(FIRST), root)
    (root / read_parts(root)["offenders"][0]).unlink()
    attempts = []

    def offenders(con: duckdb.DuckDBPyConnection) -> object:
        attempts.append(con)
        return con.execute("select count(*) from offenders").fetchall()

    with pytest.raises(HivewatchError, match="is damaged: offenders/"):
        read_consistently(root, offenders)
    assert attempts == []  # found when connecting, and raised at once


def test_an_error_of_the_sql_is_not_retried_when_a_commit_lands(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    run_ingest(list(FIRST), root)
    attempts = []

    def failing(con: duckdb.DuckDBPyConnection) -> object:
        attempts.append(con)
        ingest = [sys.executable, "-m", "pipeline", "ingest", *map(str, SECOND)]
        subprocess.run([*ingest, "-w", str(root), "--jobs", "1"], check=True)
        return con.execute("select error('the query is wrong')").fetchall()

    with pytest.raises(duckdb.Error, match="the query is wrong"):
        read_consistently(root, failing)
    assert len(attempts) == 1
