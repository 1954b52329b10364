"""The report as one JSON object (times in ISO 8601 UTC with offset)."""

from __future__ import annotations

import orjson

from pipeline.report.model import Report
from pipeline.report.plain import to_plain


def render_json(report: Report) -> str:
    option = orjson.OPT_INDENT_2 | orjson.OPT_NAIVE_UTC
    return orjson.dumps(to_plain(report), option=option).decode() + "\n"
