"""Query results as an aligned table, CSV or JSON (an array of objects)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import orjson

from pipeline.query.sql import RowStream

FORMATS = ("table", "csv", "json")
# A table's columns are as wide as their widest value in the first this many rows; later
# rows are written as they come, a wider value pushing its line out, so that a result of
# millions of rows is never held whole.
ALIGN_ROWS = 10_000
# Column types whose values (str, int, float, bool, Decimal, date, datetime, UUID or None)
# `_text` writes as str() does: not lists, structs, maps or blobs.
PLAIN = re.compile(
    r"(VARCHAR|JSON|BOOLEAN|U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE"
    r"|DECIMAL\(\d+,\d+\)|DATE|TIMESTAMP(_S|_MS|_NS| WITH TIME ZONE)?|UUID)"
)


class TextSink(Protocol):
    """Where rows go: an open text file, stdout, or a wrapper of them."""

    def write(self, text: str, /) -> int: ...

    def writelines(self, lines: Iterable[str], /) -> None: ...


def write(stream: RowStream, fmt: str, out: TextSink) -> None:
    """The result in `fmt`, written to `out` block by block as it is fetched."""
    if fmt == "csv":
        _csv(stream, out)
    elif fmt == "json":
        _json(stream, out)
    else:
        _table(stream, out)


def _text(value: Any) -> str:
    """A value as DuckDB's own command shows it: a list of keys as `[HKCU\\Software, ...]`,
    not Python's repr with every backslash doubled."""
    if type(value) is str:  # most values: first, for exports of millions of rows
        return value
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


def _table(stream: RowStream, out: TextSink) -> None:
    header = stream.columns
    first: list[list[str]] = []
    blocks = (_cells(block) for block in stream.blocks)
    for block in blocks:
        first += block
        if len(first) >= ALIGN_ROWS:
            break
    widths = [len(h) for h in header]
    for row in first:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(cells, widths, strict=True)).rstrip() + "\n"

    out.write(line(header))
    out.write("  ".join("-" * w for w in widths) + "\n")
    rows = len(first)
    out.writelines(line(row) for row in first)
    for block in blocks:
        rows += len(block)
        out.writelines(line(row) for row in block)
    noun = "row" if rows == 1 else "rows"
    out.write(f"({rows} {noun})\n")


def _cells(block: list[tuple[Any, ...]]) -> list[list[str]]:
    return [[_text(v).replace("\n", "\\n") for v in row] for row in block]


def _csv(stream: RowStream, out: TextSink) -> None:
    """The `csv` module writes a value of a `PLAIN` column as `_text` would (None as an
    empty field, str() of the rest), so only the other columns go through `_text`: an
    export of `events` converts one column in fourteen."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(stream.columns)
    other = [i for i, sql_type in enumerate(stream.types) if not PLAIN.fullmatch(sql_type)]
    for block in stream.blocks:
        if not other:
            writer.writerows(block)
            continue
        rows = [list(row) for row in block]
        for row in rows:
            for i in other:
                row[i] = _text(row[i])
        writer.writerows(rows)


def _json_value(value: Any, sql_type: str) -> Any:
    if isinstance(value, str) and sql_type == "JSON":
        return orjson.loads(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _json(stream: RowStream, out: TextSink) -> None:
    """An array of objects, laid out as orjson's OPT_INDENT_2 lays out the whole array."""
    names = list(zip(stream.columns, stream.types, strict=True))
    opened = False
    for block in stream.blocks:
        for row in block:
            record = {
                name: _json_value(value, sql_type)
                for (name, sql_type), value in zip(names, row, strict=True)
            }
            try:
                text = orjson.dumps(record, option=orjson.OPT_INDENT_2, default=str).decode()
            except orjson.JSONEncodeError:  # an integer past 64 bits (HUGEINT): still a number
                text = json.dumps(record, indent=2, ensure_ascii=False, default=str)
            out.write(",\n" if opened else "[\n")
            out.write("  " + text.replace("\n", "\n  "))
            opened = True
    out.write("\n]\n" if opened else "[]\n")
