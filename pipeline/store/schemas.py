"""Every table's columns and types, declared once. Nothing infers a type from data.

Each column carries its DuckDB type (the views in `catalog.duckdb` cast to it) and the Polars
type the Parquet parts are written with.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "JSON": pl.String(),
    "TINYINT": pl.Int8(),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "TIMESTAMP": pl.Datetime("us"),
}


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str

    @property
    def polars_type(self) -> pl.DataType:
        return _POLARS_TYPES[self.sql_type]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.polars_type for c in self.columns}


def _table(name: str, spec: str) -> Table:
    """`spec` is 'name TYPE, name TYPE, ...' as in the contract."""
    columns = []
    for item in spec.split(","):
        column, sql_type = item.split()
        columns.append(Column(column, sql_type))
    return Table(name, tuple(columns))


EVENTS = _table(
    "events",
    "host VARCHAR, channel VARCHAR, provider VARCHAR, event_id INTEGER, qualifiers INTEGER,"
    " level TINYINT, time_created TIMESTAMP, record_id BIGINT, process_id BIGINT,"
    " thread_id BIGINT, user_sid VARCHAR, event_data JSON, source_format VARCHAR,"
    " file_id VARCHAR",
)

INGEST_FILES = _table(
    "ingest_files",
    "file_id VARCHAR, path VARCHAR, format VARCHAR, size_bytes BIGINT, records BIGINT,"
    " recovered BIGINT, skipped BIGINT, status VARCHAR, error VARCHAR,"
    " ingested_at TIMESTAMP",
)

# The identity of an event: the same record seen in two files is one row.
EVENT_IDENTITY = ("host", "channel", "record_id", "time_created")

TABLES: dict[str, Table] = {t.name: t for t in (EVENTS, INGEST_FILES)}
