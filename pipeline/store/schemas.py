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
        return _polars_type(self.sql_type)


def _polars_type(sql_type: str) -> pl.DataType:
    """A DuckDB type name -> its Polars type: the scalars above, `T[]` and `STRUCT(a T, ...)`."""
    if sql_type.endswith("[]"):
        return pl.List(_polars_type(sql_type[:-2]))
    if sql_type.startswith("STRUCT(") and sql_type.endswith(")"):
        fields = [item.split(maxsplit=1) for item in _top_level(sql_type[7:-1])]
        return pl.Struct({name: _polars_type(kind) for name, kind in fields})
    return _POLARS_TYPES[sql_type]


def _top_level(spec: str) -> list[str]:
    """`spec` split at the commas outside parentheses, each item stripped."""
    items, depth, start = [], 0, 0
    for at, char in enumerate(spec):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(spec[start:at].strip())
            start = at + 1
    items.append(spec[start:].strip())
    return items


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]

    @property
    def internal(self) -> bool:
        """Kept for Hivewatch's own use: listed in the catalog's parts, no view."""
        return self.name.startswith("_")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.polars_type for c in self.columns}


def _table(name: str, spec: str) -> Table:
    """`spec` is 'name TYPE, name TYPE, ...' as in the contract."""
    columns = []
    for item in _top_level(spec):
        column, sql_type = item.split(maxsplit=1)
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

# The analytic tables (pipeline/derive), rebuilt by every batch that adds events.
PROFILE_EVENTS = _table(
    "profile_events",
    "host VARCHAR, time_created TIMESTAMP, provider VARCHAR, event_id INTEGER,"
    " os_family VARCHAR, kind VARCHAR, user_sid VARCHAR, user_name VARCHAR, detail VARCHAR,"
    " record_id BIGINT, file_id VARCHAR",
)

HIVE_LEAKS = _table(
    "hive_leaks",
    "host VARCHAR, time_created TIMESTAMP, event_id INTEGER, provider VARCHAR,"
    " user_sid VARCHAR, hive VARCHAR, process_id BIGINT, process_image VARCHAR,"
    " process_name VARCHAR, key VARCHAR, handles INTEGER",
)

UNLOAD_INCIDENTS = _table(
    "unload_incidents",
    "incident_id VARCHAR, host VARCHAR, user_sid VARCHAR, user_name VARCHAR,"
    " started TIMESTAMP, ended TIMESTAMP, os_family VARCHAR, class VARCHAR,"
    " remediated_by VARCHAR, event_ids INTEGER[], processes VARCHAR[], keys VARCHAR[]",
)

OFFENDERS = _table(
    "offenders",
    "process_name VARCHAR, key VARCHAR, incidents BIGINT, hosts BIGINT, users BIGINT,"
    " first_seen TIMESTAMP, last_seen TIMESTAMP",
)

# Guidance per class, process or key (pipeline/normalize/remediation.csv), for joins.
REMEDIATION = _table(
    "remediation",
    "applies_to VARCHAR, match VARCHAR, os_family VARCHAR, advice VARCHAR, reference VARCHAR",
)

# What the catalog reads from each profile event (and each EventLog 6009, which names the
# host's Windows version), read once by the per-file step (pipeline/derive/facts.py); the
# tables above are built from these rows alone. Internal: no view, not in the contract.
PROFILE_FACTS = _table(
    "_profile_facts",
    "host VARCHAR, channel VARCHAR, record_id BIGINT, time_created TIMESTAMP,"
    " provider VARCHAR, event_id INTEGER, file_id VARCHAR, version VARCHAR, kind VARCHAR,"
    " user_sid VARCHAR, user_name VARCHAR, detail VARCHAR, event_class VARCHAR, role VARCHAR,"
    " remediates VARCHAR, families VARCHAR[],"
    " leaks STRUCT(user_sid VARCHAR, hive VARCHAR, process_id BIGINT, process_image VARCHAR,"
    " process_name VARCHAR, key VARCHAR, handles INTEGER)[]",
)

DERIVED = (PROFILE_EVENTS, HIVE_LEAKS, UNLOAD_INCIDENTS, OFFENDERS, REMEDIATION)

TABLES: dict[str, Table] = {t.name: t for t in (EVENTS, INGEST_FILES, PROFILE_FACTS, *DERIVED)}
