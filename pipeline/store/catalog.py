"""`catalog.duckdb`: one view per table over its live Parquet parts, and the parts list.

Internal tables (`Table.internal`) are listed with their parts but get no view.

The catalog is the warehouse's single source of truth: a part is live only if the catalog
lists it. A new catalog is written beside the old one and renamed over it, so every commit
is one atomic rename, and a reader sees the warehouse before or after a batch, never between.
Views name absolute paths so that `duckdb warehouse/catalog.duckdb` works from any directory;
the parts list keeps paths relative to the warehouse.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from pipeline.store.schemas import TABLES, Table
from pipeline.store.sqltext import identifier, literal_list

CATALOG = "catalog.duckdb"
# The oldest DuckDB that must open the catalog: a user's `duckdb` command lags the library
# Hivewatch installs, and the file holds nothing newer than a table and views.
READABLE_FROM = "v1.0.0"
PARTS_TABLE = "_hivewatch_parts"


def view_sql(table: Table, files: Sequence[str], temporary: bool = False) -> str:
    """The view of `table` over `files` (absolute paths), cast to the declared types."""
    kind = "TEMP VIEW" if temporary else "VIEW"
    columns = typed_columns(table)
    if files:
        source = f"read_parquet({literal_list(files)})"
        return (
            f"CREATE OR REPLACE {kind} {identifier(table.name)} AS SELECT {columns} FROM {source}"
        )
    return f"CREATE OR REPLACE {kind} {identifier(table.name)} AS {empty_select(table)}"


def typed_columns(table: Table, stored: bool = False) -> str:
    """`table`'s columns, each cast to its declared type: a select list. `stored`: as its
    Parquet parts hold them (JSON as plain text), for writing a part with DuckDB."""

    def kind(sql_type: str) -> str:
        return "VARCHAR" if stored and sql_type == "JSON" else sql_type

    return ", ".join(
        f"CAST({identifier(c.name)} AS {kind(c.sql_type)}) AS {identifier(c.name)}"
        for c in table.columns
    )


def empty_select(table: Table) -> str:
    """A query of no rows with `table`'s declared columns."""
    empty = ", ".join(f"CAST(NULL AS {c.sql_type}) AS {identifier(c.name)}" for c in table.columns)
    return f"SELECT {empty} WHERE false"


def read_parts(root: Path) -> dict[str, list[str]]:
    """Live parts per table, as paths relative to the warehouse; empty if no catalog yet."""
    path = root / CATALOG
    if not path.exists():
        return {name: [] for name in TABLES}
    with duckdb.connect(str(path), read_only=True) as con:
        return parts_listed(con)


def parts_listed(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Live parts per table as the catalog open on `con` lists them."""
    parts: dict[str, list[str]] = {name: [] for name in TABLES}
    rows = con.execute(
        f"SELECT table_name, file FROM {PARTS_TABLE} ORDER BY table_name, file"
    ).fetchall()
    for table_name, file in rows:
        parts.setdefault(table_name, []).append(file)
    return parts


def remove_unlisted(root: Path, parts: Mapping[str, Sequence[str]]) -> None:
    """Delete every part in a table folder that `parts` does not list: once the catalog
    listing `parts` is in place, so that a folder glob reads what the views read. A part
    that cannot be deleted now stays for the next writer, which tries again before it
    reads anything; the batch is committed either way."""
    for table in TABLES:
        folder = root / table
        if not folder.is_dir():
            continue
        live = set(parts.get(table, []))
        for file in folder.glob("*.parquet"):
            if f"{table}/{file.name}" not in live:
                with contextlib.suppress(OSError):
                    file.unlink(missing_ok=True)


def write_catalog(root: Path, parts: Mapping[str, Sequence[str]]) -> None:
    """Replace the catalog atomically with one listing `parts`."""
    final = root / CATALOG
    temporary = root / (CATALOG + ".new")
    for leftover in (temporary, Path(str(temporary) + ".wal")):
        leftover.unlink(missing_ok=True)
    with duckdb.connect(
        str(temporary), config={"storage_compatibility_version": READABLE_FROM}
    ) as con:
        con.execute(f"CREATE TABLE {PARTS_TABLE} (table_name VARCHAR, file VARCHAR)")
        rows = [(name, file) for name, files in sorted(parts.items()) for file in files]
        if rows:
            con.executemany(f"INSERT INTO {PARTS_TABLE} VALUES (?, ?)", rows)
        for name, files in sorted(parts.items()):
            if TABLES[name].internal:
                continue
            absolute = [str((root / f).resolve()) for f in files]
            con.execute(view_sql(TABLES[name], absolute))
        con.execute("CHECKPOINT")
    _fsync(temporary)
    os.replace(temporary, final)
    _fsync(root)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
