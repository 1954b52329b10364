"""Two inline SVG charts, drawn here without any library: stacked weekly bars, ranked bars.

Every label and tooltip goes through `esc`; the markup is well-formed XML, so the charts
parse as XHTML too. Colours come from a fixed palette, never from data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

from pipeline.report.escape import esc

PALETTE = (
    "#1b6ca8",
    "#d1495b",
    "#edae49",
    "#00798c",
    "#6a4c93",
    "#8ac926",
    "#ff7f0e",
    "#7f5539",
    "#e377c2",
    "#4d4d4d",
    "#17becf",
)
OTHER = "#999999"
FONT = "font-family:system-ui,sans-serif;font-size:12px"


def colour(index: int) -> str:
    return PALETTE[index] if 0 <= index < len(PALETTE) else OTHER


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _step(top: int) -> int:
    """A round tick step giving at most about five ticks up to `top`."""
    if top <= 5:
        return 1
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if magnitude * factor >= raw:
            return int(magnitude * factor)
    return int(magnitude * 10)


def weekly_chart(
    weeks: Sequence[date],
    series: Sequence[str],
    counts: Mapping[tuple[date, str], int],
    colours: Mapping[str, str],
) -> str:
    """Stacked bars: one per week, one segment per series (class), with a legend."""
    width, left, right, top, bottom = 900, 48, 16, 16, 56
    legend_rows = math.ceil(len(series) / 3)
    plot_h = 220
    height = top + plot_h + bottom + legend_rows * 18
    totals = [sum(counts.get((w, s), 0) for s in series) for w in weeks]
    peak = max(totals, default=0) or 1
    step = _step(peak)
    scale_top = math.ceil(peak / step) * step
    plot_w = width - left - right
    slot = plot_w / max(len(weeks), 1)
    bar = max(min(slot * 0.7, 60.0), 1.0)
    label_every = max(1, math.ceil(len(weeks) / 12))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"'
        f' viewBox="0 0 {width} {height}" width="100%" style="{FONT}"'
        f' aria-label="{esc("Incidents per week by class")}">',
        f"<title>{esc('Incidents per week by class')}</title>",
    ]
    for tick in range(0, scale_top + 1, step):
        y = top + plot_h - plot_h * tick / scale_top
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}"'
            ' stroke="#dddddd"/>'
            f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end">{tick}</text>'
        )
    for i, week in enumerate(weeks):
        x = left + slot * i + (slot - bar) / 2
        y = top + plot_h
        for name in series:
            n = counts.get((week, name), 0)
            if not n:
                continue
            h = plot_h * n / scale_top
            y -= h
            out.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(bar)}" height="{_num(h)}"'
                f' fill="{esc(colours.get(name, OTHER))}">'
                f"<title>{esc(f'week of {week.isoformat()}: {n} {name}')}</title></rect>"
            )
        if i % label_every == 0:
            cx = left + slot * i + slot / 2
            out.append(
                f'<text x="{_num(cx)}" y="{top + plot_h + 16}" text-anchor="middle">'
                f"{esc(week.isoformat())}</text>"
            )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}"'
        ' stroke="#333333"/>'
    )
    for j, name in enumerate(series):
        lx = left + (j % 3) * (plot_w / 3)
        ly = top + plot_h + 36 + (j // 3) * 18
        out.append(
            f'<rect x="{_num(lx)}" y="{ly - 10}" width="12" height="12"'
            f' fill="{esc(colours.get(name, OTHER))}"/>'
            f'<text x="{_num(lx + 18)}" y="{ly}">{esc(name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def ranked_chart(
    labels: Sequence[str], values: Sequence[int], notes: Sequence[str], title: str
) -> str:
    """Horizontal bars of `values`, largest first as given, each with its label before it and
    its note (the value in words) after it."""
    width, label_w, right, row = 900, 420, 170, 22
    height = max(len(labels), 1) * row + 24
    peak = max(values, default=0) or 1
    plot_w = width - label_w - right
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"'
        f' viewBox="0 0 {width} {height}" width="100%" style="{FONT}"'
        f' aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
    ]
    for i, (label, value, note) in enumerate(zip(labels, values, notes, strict=True)):
        y = 8 + i * row
        w = max(plot_w * value / peak, 1.0)
        shown = label if len(label) <= 64 else label[:30] + "..." + label[-31:]
        out.append(
            f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end">{esc(shown)}'
            f"<title>{esc(label)}</title></text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{_num(w)}" height="{row - 6}"'
            f' fill="{PALETTE[0]}"><title>{esc(f"{label}: {note}")}</title></rect>'
            f'<text x="{_num(label_w + w + 6)}" y="{y + 14}">{esc(note)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
