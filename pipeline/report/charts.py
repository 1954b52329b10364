"""The report's charts as SVG: the data shaping for `svg.py`."""

from __future__ import annotations

from datetime import date, timedelta

from pipeline.normalize.profile_catalog import CLASS_PRECEDENCE
from pipeline.report.model import Report
from pipeline.report.svg import colour, ranked_chart, weekly_chart

CLASS_COLOURS = {name: colour(i) for i, name in enumerate(CLASS_PRECEDENCE)}


def _all_weeks(first: date, last: date) -> list[date]:
    weeks = []
    week = first
    while week <= last:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


def weekly_svg(report: Report) -> str | None:
    """Incidents per week (Mondays, empty weeks included) stacked by class; None if none."""
    counts = {(w.week, w.event_class): w.incidents for w in report.data.weeks}
    if not counts:
        return None
    present = {name for _, name in counts}
    series = [c for c in CLASS_PRECEDENCE if c in present] + sorted(present - set(CLASS_PRECEDENCE))
    weeks = _all_weeks(min(w for w, _ in counts), max(w for w, _ in counts))
    return weekly_chart(weeks, series, counts, CLASS_COLOURS)


def offenders_svg(report: Report) -> str | None:
    top = report.top_offenders
    if not top:
        return None
    return ranked_chart(
        [f"{o.process_name}  {o.key}" for o in top],
        [o.incidents for o in top],
        [f"{_count(o.incidents, 'incident')}, {_count(o.hosts, 'host')}" for o in top],
        "Top offenders: incidents per process and key",
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
