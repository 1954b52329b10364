"""Format name -> renderer and file extension."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.report.model import Report
from pipeline.report.render_csv import render_csv
from pipeline.report.render_html import render_html
from pipeline.report.render_json import render_json
from pipeline.report.render_md import render_md

RENDERERS: dict[str, Callable[[Report], str]] = {
    "html": render_html,
    "md": render_md,
    "csv": render_csv,
    "json": render_json,
}
FORMATS = tuple(RENDERERS)
EXTENSIONS = {"html": ".html", "md": ".md", "csv": ".csv", "json": ".json"}


def render(report: Report, fmt: str) -> str:
    return RENDERERS[fmt](report)
