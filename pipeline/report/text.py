"""Wording and value formats every renderer shares, so the formats say the same thing."""

from __future__ import annotations

import re
from datetime import date, datetime

from pipeline.report.model import Changes, Report

TITLE = "Hivewatch report: user-profile hive unload failures"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def clean(value: str) -> str:
    """Text without control characters (they are not valid XML and confuse terminals)."""
    return _CONTROL.sub("\ufffd", value)


def one_line(value: str) -> str:
    return " ".join(clean(value).split())


def stamp(value: datetime | date | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.isoformat()


def period_line(report: Report) -> str:
    period = report.period
    generated = f"generated {stamp(period.generated)} UTC."
    if period.since is None:
        return f"Period: {period.label}; {generated}"
    return (
        f"Period: {period.label} ({stamp(period.since)} to {stamp(period.generated)} UTC);"
        f" {generated}"
    )


def span_line(report: Report) -> str:
    c = report.data.coverage
    if c.first_event is None or c.last_event is None:
        return nothing_line("events")
    return f"Events from {stamp(c.first_event)} to {stamp(c.last_event)} UTC."


def shown_of(shown: int, total: int, what: str) -> str:
    """Says that a ranked table stops before its end, and where its whole list is."""
    return f"The {shown} of {total} {what}." if shown < total else ""


def change_summary(changes: Changes) -> str:
    previous = changes.previous
    if previous is None:
        return (
            "First report for this warehouse: there is no previous report to compare with."
            " The next report will list the processes and keys that are new since this one."
        )
    when = f"the previous report ({stamp(previous.ran_at)} UTC)"
    if changes.nothing_new:
        return f"Nothing new since {when}: no process or key appeared that it did not show."
    pairs = len(changes.new_pairs)
    return (
        f"{pairs} offender {'pair is' if pairs == 1 else 'pairs are'} new since {when}:"
        f" {_count(len(changes.new_processes), 'new process', 'new processes')},"
        f" {_count(len(changes.new_keys), 'new key', 'new keys')}."
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def nothing_line(what: str) -> str:
    return f"No {what} in this period."
