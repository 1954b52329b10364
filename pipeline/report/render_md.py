"""The report as Markdown, to read in a terminal or paste into a ticket.

Every value is escaped: the characters that can open markup anywhere in a line are
backslash-escaped (CommonMark allows that for all ASCII punctuation), so a name holding
`<script>`, `|` or `[link](...)` stays text and keeps the tables intact. Charts have no
Markdown form; the tables beside them carry the same numbers.
"""

from __future__ import annotations

import re

from pipeline.report.layout import Block, Chart, Heading, Para, TableBlock, blocks
from pipeline.report.model import Report
from pipeline.report.tables import Cell, Table
from pipeline.report.text import one_line

# The characters that can start markup anywhere in a line; `_` only at a word's edge.
_SPECIAL = re.compile(r"([\\`*\[\]<>|~&]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
_LEADING = ("-", "+", "#", ".", "=", "!")


def md(value: Cell) -> str:
    text = one_line("" if value is None else str(value))
    text = _SPECIAL.sub(r"\\\1", text).replace("://", "\\://")  # no autolinks either
    return "\\" + text if text.startswith(_LEADING) else text


def _table(table: Table) -> str:
    rule = ["---:" if i in table.numeric else "---" for i in range(len(table.headers))]
    lines = ["| " + " | ".join(md(h) for h in table.headers) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(md(v) for v in row) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def _block(block: Block) -> str | None:
    if isinstance(block, Heading):
        return "#" * block.level + " " + md(block.text) + "\n"
    if isinstance(block, Para):
        return md(block.text) + "\n"
    if isinstance(block, TableBlock):
        return _table(block.table)
    if isinstance(block, Chart):
        return None
    raise TypeError(block)


def render_md(report: Report) -> str:
    return "\n".join(text for text in map(_block, blocks(report)) if text is not None)
