"""Query results as an aligned table, CSV or JSON (an array of objects)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

from pipeline.query.sql import QueryResult

FORMATS = ("table", "csv", "json")


def render(result: QueryResult, fmt: str) -> str:
    if fmt == "csv":
        return _csv(result)
    if fmt == "json":
        return _json(result)
    return _table(result)


def _text(value: Any) -> str:
    """A value as DuckDB's own command shows it: a list of keys as `[HKCU\\Software, ...]`,
    not Python's repr with every backslash doubled."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inner(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"'{k}': {_inner(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02X}" for b in value)
    return str(value)


def _inner(value: Any) -> str:
    return "NULL" if value is None else _text(value)


def _table(result: QueryResult) -> str:
    header = result.columns
    body = [[_text(v).replace("\n", "\\n") for v in row] for row in result.rows]
    widths = [len(h) for h in header]
    for row in body:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in body]
    noun = "row" if len(body) == 1 else "rows"
    return "\n".join(lines) + f"\n({len(body)} {noun})\n"


def _csv(result: QueryResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([[_text(v) for v in row] for row in result.rows])
    return out.getvalue()


def _json_value(value: Any, sql_type: str) -> Any:
    if isinstance(value, str) and sql_type == "JSON":
        return orjson.loads(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _json(result: QueryResult) -> str:
    records = [
        {
            name: _json_value(value, sql_type)
            for name, sql_type, value in zip(result.columns, result.types, row, strict=True)
        }
        for row in result.rows
    ]
    return orjson.dumps(records, option=orjson.OPT_INDENT_2, default=str).decode() + "\n"
