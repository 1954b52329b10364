"""Read-only SQL over the warehouse.

Three guards, each enough on its own for the common case: only SELECT and EXPLAIN
statements are accepted; the catalog is opened read-only; and DuckDB's file access is
confined to the warehouse directory and locked, so no statement can write a file, attach a
database or read one outside the warehouse. The views are re-declared as temporary views
from the parts list, so a warehouse that was moved or copied still answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.errors import UsageError
from pipeline.store.catalog import CATALOG, read_parts, view_sql
from pipeline.store.schemas import TABLES
from pipeline.store.sqltext import literal

_READ_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


def connect_readonly(root: Path) -> duckdb.DuckDBPyConnection:
    """A locked-down, read-only connection to the warehouse at `root`."""
    catalog = root / CATALOG
    if not catalog.exists():
        raise UsageError(f"no warehouse at {root} (run 'hivewatch ingest PATH -w {root}' first)")
    parts = read_parts(root)
    con = duckdb.connect(
        str(catalog),
        read_only=True,
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    for name, files in parts.items():
        con.execute(view_sql(TABLES[name], [str((root / f).resolve()) for f in files], True))
    con.execute(f"SET allowed_directories = [{literal(str(root.resolve()) + '/')}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def check_read_only(sql: str) -> None:
    """Refuse anything but one or more SELECT / EXPLAIN statements, before running any."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise UsageError(one_line(exc)) from None
    if not statements:
        raise UsageError("no SQL statement given")
    for statement in statements:
        if statement.type not in _READ_STATEMENTS:
            kind = str(statement.type).rsplit(".", 1)[-1]
            raise UsageError(f"read-only: {kind} statements are not allowed, only SELECT")


def run_sql(root: Path, sql: str, params: Mapping[str, str] | None = None) -> QueryResult:
    """Run read-only SQL with named parameters (`$name`); errors become UsageError."""
    check_read_only(sql)
    with connect_readonly(root) as con:
        try:
            cursor = con.execute(sql, dict(params) if params else None)
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            raise UsageError(one_line(exc)) from None
        description = cursor.description or []
    return QueryResult(
        columns=[d[0] for d in description],
        types=[str(d[1]) for d in description],
        rows=rows,
    )


def one_line(exc: BaseException) -> str:
    """DuckDB's message without its caret diagram and hints."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first
