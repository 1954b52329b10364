"""Read-only SQL over the warehouse.

Three guards, each enough on its own for the common case: only SELECT and EXPLAIN
statements are accepted; the catalog is opened read-only; and DuckDB's file access is
confined to the warehouse directory and locked, so no statement can write a file, attach a
database or read one outside the warehouse. The views are re-declared as temporary views
from the parts list when the catalog's own views do not read them (a warehouse that was
moved or copied), so it still answers.

Over those table views sit the staging views, `queries/stg_*.sql` declared as temporary
views named after their files (in name order, so one may read an earlier one), before the
configuration is locked: the marts and ad-hoc SQL read them alike. Their SQL is ours, but it
passes the same statement check as a user's.

Parameters are named (`$name`) and bound, never spliced into the text; a statement that
uses a parameter nobody gave, or is given one it does not use, is refused with one line
naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from pipeline.errors import HivewatchError, UsageError, WarehouseDamaged
from pipeline.query import named
from pipeline.store.catalog import CATALOG, empty_select, parts_listed, view_sql
from pipeline.store.schemas import TABLES, Table
from pipeline.store.sqltext import identifier, literal

_READ_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
# Reads tried when commits keep replacing the catalog under them: one per commit met.
READ_ATTEMPTS = 3
BLOCK_ROWS = 2048  # rows fetched at a time: a streamed result is never held whole
T = TypeVar("T")


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class RowStream:
    """A result as it is fetched: `blocks` yields lists of up to `BLOCK_ROWS` rows, and is
    read while the connection is open (within `stream_sql`'s `consume`)."""

    columns: list[str]
    types: list[str]
    blocks: Iterator[list[tuple[Any, ...]]]


def read_consistently(root: Path, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """`work` over a read-only connection to the warehouse at `root`.

    A commit deletes the parts its new catalog no longer lists, so a reader still on the
    old catalog can fail on a part that is gone. Such a failure (a part missing or
    unreadable: `_part_gone`) once the catalog has been replaced is retried on the new one;
    any other failure, or one with the catalog unchanged, is the reader's own (bad SQL, a
    damaged warehouse) and is raised at once."""
    for attempt in range(1, READ_ATTEMPTS + 1):
        opened = _catalog_version(root)
        try:
            with connect_readonly(root) as con:
                return work(con)
        except (duckdb.Error, HivewatchError) as exc:
            gone = _part_gone(exc) or _part_gone(exc.__cause__)
            if not gone or attempt == READ_ATTEMPTS or _catalog_version(root) == opened:
                raise
    raise AssertionError("unreachable")


def _part_gone(exc: BaseException | None) -> bool:
    """DuckDB's error for a file it cannot find or open, or ours for a listed part missing."""
    return isinstance(exc, duckdb.IOException | WarehouseDamaged)


def _catalog_version(root: Path) -> tuple[int, int] | None:
    """What changes when a commit renames a new catalog over the old one."""
    try:
        stat = (root / CATALOG).stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def connect_readonly(root: Path) -> duckdb.DuckDBPyConnection:
    """A locked-down, read-only connection to the warehouse at `root`."""
    catalog = root / CATALOG
    if not catalog.exists():
        raise UsageError(f"no warehouse at {root} (run 'hivewatch ingest PATH -w {root}' first)")
    con = duckdb.connect(
        str(catalog),
        read_only=True,
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    try:
        parts = parts_listed(con)  # from the catalog the views come from, not a newer one
        declared = dict(
            con.execute(
                "SELECT view_name, sql FROM duckdb_views()"
                " WHERE schema_name = 'main' AND database_name = current_database()"
            ).fetchall()
        )
        for name, files in parts.items():
            if TABLES[name].internal:
                continue
            paths = [str((root / f).resolve()) for f in files]
            missing = next((f for f in files if not (root / f).is_file()), None)
            if missing is not None:
                raise WarehouseDamaged(f"the warehouse at {root} is damaged: {missing} is missing")
            if _current(con, declared.get(name), TABLES[name], paths):
                continue
            try:
                con.execute(view_sql(TABLES[name], paths, True))
            except duckdb.IOException as exc:  # a part is there but cannot be read
                damaged = f"the warehouse at {root} is damaged: {one_line(exc)}"
                raise WarehouseDamaged(damaged) from None
        declare_staging(con)
        # The tables hold UTC; so must `now()` and `current_date`, or `time_created >= now() -
        # interval 7 day` is off by the machine's offset (DuckDB takes the zone from TZ).
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET allowed_directories = [{literal(str(root.resolve()) + '/')}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _current(
    con: duckdb.DuckDBPyConnection, declared: str | None, table: Table, paths: list[str]
) -> bool:
    """Whether the catalog's own view of `table` reads exactly `paths` with today's columns;
    if not (a moved or copied warehouse, or one an older version wrote), a temporary view
    replaces it for this session. Re-declaring only then keeps `SHOW TABLES` to one line
    per table."""
    if declared is None or declared.count(".parquet'") != len(paths):
        return False
    if not all(literal(path) in declared for path in paths):
        return False
    columns = "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?"
    columns += " AND schema_name = 'main' AND database_name = current_database()"
    columns += " ORDER BY column_index"
    has = con.execute(columns, [table.name]).fetchall()
    wants = con.execute(f"DESCRIBE {empty_select(table)}").fetchall()
    return has == [(name, kind) for name, kind, *_ in wants]


def declare_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Declare `queries/stg_*.sql` as temporary views named after the files, in name order."""
    for name, path in named.staging().items():
        statement = staging_view_sql(name, path.read_text(encoding="utf-8"))
        try:
            con.execute(statement)
        except duckdb.Error as exc:
            raise UsageError(f"staging query {name}: {one_line(exc)}") from None


def staging_view_sql(name: str, sql: str) -> str:
    """`CREATE TEMP VIEW name AS <sql>` for one staging file: one SELECT, no parameters."""
    try:
        statements = read_statements(sql)
    except UsageError as exc:
        raise UsageError(f"staging query {name}: {exc}") from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise UsageError(f"staging query {name}: want exactly one SELECT statement")
    if statements[0].named_parameters:
        raise UsageError(f"staging query {name}: a view cannot take parameters")
    return f"CREATE OR REPLACE TEMP VIEW {identifier(name)} AS {statements[0].query}"


def read_statements(sql: str) -> list[duckdb.Statement]:
    """The statements of `sql`, refusing anything but SELECT / EXPLAIN before running any."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise UsageError(one_line(exc)) from None
    if not statements:
        raise UsageError("no SQL statement given")
    for statement in statements:
        if statement.type not in _READ_STATEMENTS:
            kind = _keyword(statement)
            raise UsageError(f"read-only: {kind} statements are not allowed, only SELECT")
    return statements


def _keyword(statement: duckdb.Statement) -> str:
    """The statement's kind as the user wrote it (INSTALL, CHECKPOINT), not DuckDB's type
    name for it (LOAD, CALL); the type name when the text starts otherwise (WITH ...)."""
    words = statement.query.split(maxsplit=1)
    first = words[0].upper() if words else ""
    if first.isalpha() and first != "WITH":
        return first
    return str(statement.type).rsplit(".", 1)[-1]


def check_read_only(sql: str) -> None:
    """Refuse anything but one or more SELECT / EXPLAIN statements, before running any."""
    read_statements(sql)


def check_parameters(statements: list[duckdb.Statement], given: Mapping[str, str]) -> None:
    """Refuse a parameter the SQL uses but nobody gave, or one given that it does not use."""
    wanted = sorted({p for s in statements for p in s.named_parameters})
    missing = [p for p in wanted if p not in given]
    if missing:
        flags = " ".join(f"-p {p} VALUE" for p in missing)
        noun = "parameter" if len(missing) == 1 else "parameters"
        raise UsageError(f"missing {noun} {', '.join(missing)}: give {flags}")
    unused = sorted(p for p in given if p not in wanted)
    if unused:
        takes = ", ".join(wanted) if wanted else "none"
        noun = "parameter" if len(unused) == 1 else "parameters"
        raise UsageError(f"unknown {noun} {', '.join(unused)} (this SQL takes: {takes})")


def stream_sql(
    root: Path,
    sql: str,
    params: Mapping[str, str] | None,
    consume: Callable[[RowStream], T],
) -> T:
    """Run read-only SQL with named parameters (`$name`), handing its rows to `consume` as
    they are fetched; DuckDB's errors become UsageError.

    `consume` is called again, from the start, if a commit replaced the catalog under the
    first attempt (`read_consistently`)."""
    given = dict(params or {})
    statements = read_statements(sql)
    if len(statements) > 1:  # DuckDB would run them all and show the last result alone
        raise UsageError(f"one statement at a time: this SQL holds {len(statements)}")
    check_parameters(statements, given)

    def run(con: duckdb.DuckDBPyConnection) -> T:
        cursor = con.execute(sql, given or None)
        description = cursor.description or []
        return consume(
            RowStream(
                columns=[d[0] for d in description],
                types=[str(d[1]) for d in description],
                blocks=iter(partial(cursor.fetchmany, BLOCK_ROWS), []),
            )
        )

    try:
        return read_consistently(root, run)
    except duckdb.Error as exc:
        raise UsageError(one_line(exc)) from None


def run_sql(root: Path, sql: str, params: Mapping[str, str] | None = None) -> QueryResult:
    """`stream_sql`'s whole result, in memory: for results known to be small."""

    def whole(stream: RowStream) -> QueryResult:
        rows = [row for block in stream.blocks for row in block]
        return QueryResult(stream.columns, stream.types, rows)

    return stream_sql(root, sql, params, whole)


def one_line(exc: BaseException) -> str:
    """DuckDB's message without its caret diagram and hints."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first
