"""Escaping for HTML and SVG text and attribute values: every value from the logs goes here."""

from __future__ import annotations

import html

from pipeline.report.text import clean


def esc(value: object) -> str:
    """`value` as text safe in HTML/SVG element content and quoted attributes (XML-valid too)."""
    return html.escape(clean(str(value)), quote=True)
