"""The report's SQL: the files in `pipeline/report/sql/`, run with named parameters only."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any

import duckdb

from pipeline.errors import HivewatchError
from pipeline.query.sql import one_line


class ReportQueryError(HivewatchError):
    """A report query failed: a fault in Hivewatch or a damaged warehouse, not the user's."""


@functools.cache
def report_sql(name: str) -> str:
    """The text of `sql/NAME.sql`, read once."""
    return (
        resources.files(__package__ or "pipeline.report")
        .joinpath(f"sql/{name}.sql")
        .read_text(encoding="utf-8")
    )


def fetch(
    con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """Rows of query NAME; each query receives only the parameters its text names."""
    sql = report_sql(name)
    used = {key: value for key, value in params.items() if f"${key}" in sql}
    try:
        return con.execute(sql, used).fetchall()
    except duckdb.Error as exc:
        # the cause tells `read_consistently` whether a part went missing under the read
        raise ReportQueryError(f"report query {name}: {one_line(exc)}") from exc
