"""The report as one standalone HTML page: inline CSS and SVG, no script, nothing fetched.

Every value goes through `esc`; the page is well-formed XML as well as HTML, and a Content
Security Policy forbids scripts and remote loads should anything slip through.
"""

from __future__ import annotations

from pipeline.report.charts import offenders_svg, weekly_svg
from pipeline.report.escape import esc
from pipeline.report.layout import Block, Chart, Heading, Para, TableBlock, blocks
from pipeline.report.model import Report
from pipeline.report.tables import Table
from pipeline.report.text import TITLE

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;
color:#1a1a1a;background:#ffffff;line-height:1.4;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;
border-bottom:2px solid #1b6ca8;padding-bottom:.2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #cccccc;padding:.25rem .45rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere}th{background:#eef3f8}td.n,th.n{text-align:right;white-space:nowrap}
tr:nth-child(even) td{background:#fafafa}.muted{color:#555555}
.note{background:#fff8e1;border-left:4px solid #edae49;padding:.5rem .8rem}
svg.chart{max-width:100%;height:auto;display:block;margin:.6rem 0}
@media print{body{margin:0;max-width:none;font-size:10pt}h2,h3{break-after:avoid}
tr,svg.chart{break-inside:avoid}tr:nth-child(even) td{background:none}
.note{border:1px solid #999999}}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _table(table: Table) -> str:
    def attr(i: int) -> str:
        return ' class="n"' if i in table.numeric else ""

    head = "".join(f"<th{attr(i)}>{esc(h)}</th>" for i, h in enumerate(table.headers))
    body = "".join(
        "<tr>"
        + "".join(f"<td{attr(i)}>{esc('' if v is None else v)}</td>" for i, v in enumerate(row))
        + "</tr>"
        for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _block(block: Block, report: Report) -> str:
    if isinstance(block, Heading):
        anchor = f' id="{esc(block.anchor)}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{esc(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        style = f' class="{esc(block.style)}"' if block.style else ""
        return f"<p{style}>{esc(block.text)}</p>"
    if isinstance(block, TableBlock):
        return _table(block.table)
    if isinstance(block, Chart):
        svg = weekly_svg(report) if block.kind == "weekly" else offenders_svg(report)
        return svg or ""
    raise TypeError(block)


def render_html(report: Report) -> str:
    body = "\n".join(_block(block, report) for block in blocks(report))
    return (
        "<!DOCTYPE html>\n"
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{esc(TITLE)}</title><style>{CSS}</style></head>\n"
        f"<body><main>\n{body}\n</main></body></html>\n"
    )
