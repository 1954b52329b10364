"""The report as plain data (dicts, lists, scalars): what the JSON and CSV formats write."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pipeline.report.model import Report
from pipeline.report.text import change_summary

FORMAT_VERSION = 1


def _rows(items: Any) -> list[dict[str, Any]]:
    """Dataclass rows as dicts, with `event_class` named `class` as in the tables."""
    rows = []
    for item in items:
        row = asdict(item)
        if "event_class" in row:
            row = {("class" if k == "event_class" else k): v for k, v in row.items()}
        rows.append(row)
    return rows


def to_plain(report: Report) -> dict[str, Any]:
    d = report.data
    ch = report.changes
    previous = None
    if ch.previous is not None:
        previous = {"ran_at": ch.previous.ran_at, "since": ch.previous.since}
    return {
        "report_format": FORMAT_VERSION,
        "generated": report.period.generated,
        "period": {"since": report.period.since, "label": report.period.label},
        "warehouse": report.warehouse,
        "coverage": asdict(d.coverage),
        "changes": {
            "summary": change_summary(ch),
            "previous_run": previous,
            "nothing_new": ch.nothing_new,
            "new_processes": list(ch.new_processes),
            "new_keys": list(ch.new_keys),
            "new_pairs": _rows(ch.new_pairs),
            "gone_pairs": [{"process_name": p, "key": k} for p, k in ch.gone_pairs],
        },
        "incidents_by_week": _rows(d.weeks),
        "incident_classes": _rows(d.classes),
        "offender_pairs": len(d.offenders),
        "top_offenders": _rows(report.top_offenders),
        "offending_processes": len(d.processes),
        "top_processes": _rows(report.top_processes),
        "offending_keys": len(d.keys),
        "top_keys": _rows(report.top_keys),
        "hosts": _rows(d.hosts),
        "class_guidance": _rows(d.class_guidance),
        "offender_guidance": _rows(d.offender_guidance),
        "problem_files": _rows(d.problem_files),
    }
