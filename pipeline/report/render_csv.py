"""The report as one long CSV: `section,row,field,value`, one line per value.

Every section of the JSON format fits this one shape, so a spreadsheet pivot or
`csvgrep -c section -m top_offenders` gets any table back. Text from the logs that a
spreadsheet would take for a formula (starting with = + - @ or a tab) is prefixed with '.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from pipeline.report.model import Report
from pipeline.report.plain import to_plain
from pipeline.report.text import clean

HEADER = ("section", "row", "field", "value")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value)
    text = clean(str(value))
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA) else text


def _is_table(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(row, dict) for row in value)


def _lines(section: str, value: Any) -> list[tuple[str, str, str, str]]:
    """A table: one line per (row, column); an object: one line per field; else one line."""
    if _is_table(value):
        return [
            (section, str(i), name, _cell(v))
            for i, row in enumerate(value, 1)
            for name, v in row.items()
        ]
    if isinstance(value, dict):
        out = []
        for name, inner in value.items():
            if inner and _is_table(inner):
                out += _lines(f"{section}.{name}", inner)
            elif isinstance(inner, dict):
                out += [(section, "", f"{name}.{k}", _cell(v)) for k, v in inner.items()]
            else:
                out.append((section, "", name, _cell(inner)))
        return out
    return [(section, "", "", _cell(value))]


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for section, value in to_plain(report).items():
        writer.writerows(_lines(section, value))
    return out.getvalue()
