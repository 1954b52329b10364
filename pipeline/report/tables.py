"""The report's tables, as headers and rows of plain cells, shared by the HTML and Markdown
renderers so both show the same columns in the same order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.report.model import ClassGuidance, Offender, OffenderSide, Report
from pipeline.report.text import stamp

Cell = str | int | None


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    numeric: frozenset[int]


def _t(headers: Sequence[str], rows: list[tuple[Cell, ...]], numeric: Sequence[int]) -> Table:
    return Table(tuple(headers), rows, frozenset(numeric))


def coverage(report: Report) -> Table:
    c = report.data.coverage
    return _t(
        [
            "hosts",
            "files with events",
            "records",
            "incidents",
            "hosts with incidents",
            "ingest problems",
        ],
        [(c.hosts, c.files, c.records, c.incidents, c.incident_hosts, c.ingest_problems)],
        range(6),
    )


def offender_pairs(offenders: Sequence[Offender], ranked: bool) -> Table:
    headers = ["process", "key", "hosts", "incidents", "users", "first seen", "last seen"]
    rows: list[tuple[Cell, ...]] = [
        (
            o.process_name,
            o.key,
            o.hosts,
            o.incidents,
            o.users,
            stamp(o.first_seen),
            stamp(o.last_seen),
        )
        for o in offenders
    ]
    if ranked:
        return _t(["#", *headers], [(i, *row) for i, row in enumerate(rows, 1)], [0, 3, 4, 5])
    return _t(headers, rows, [2, 3, 4])


def offender_sides(sides: Sequence[OffenderSide], named: str) -> Table:
    """Processes alone or keys alone, ranked; `named` heads the name column."""
    headers = ["#", named, "hosts", "incidents", "users", "first seen", "last seen"]
    rows: list[tuple[Cell, ...]] = [
        (i, o.name, o.hosts, o.incidents, o.users, stamp(o.first_seen), stamp(o.last_seen))
        for i, o in enumerate(sides, 1)
    ]
    return _t(headers, rows, [0, 2, 3, 4])


def gone_pairs(report: Report) -> Table:
    return _t(["process", "key"], [tuple(p) for p in report.changes.gone_pairs], [])


def classes(report: Report) -> Table:
    return _t(
        ["class", "incidents", "hosts", "users", "not remediated", "first", "last"],
        [
            (
                k.event_class,
                k.incidents,
                k.hosts,
                k.users,
                k.unremediated,
                stamp(k.first_seen),
                stamp(k.last_seen),
            )
            for k in report.data.classes
        ],
        [1, 2, 3, 4],
    )


def weeks(report: Report) -> Table:
    return _t(
        ["week (Monday)", "class", "incidents"],
        [(stamp(w.week), w.event_class, w.incidents) for w in report.data.weeks],
        [2],
    )


def hosts(report: Report) -> Table:
    return _t(
        ["host", "OS", "incidents", "users", "classes", "last incident"],
        [
            (
                h.host,
                h.os_family,
                h.incidents,
                h.users,
                ", ".join(h.classes),
                stamp(h.last_incident),
            )
            for h in report.data.hosts
        ],
        [2, 3],
    )


def class_guidance(rows: Sequence[ClassGuidance]) -> Table:
    return _t(
        ["class", "OS", "incidents", "advice", "reference"],
        [(g.event_class, g.os_family or "any", g.incidents, g.advice, g.reference) for g in rows],
        [2],
    )


def offender_guidance(report: Report) -> Table:
    return _t(
        ["for", "match", "OS", "pairs", "advice", "reference"],
        [
            (g.applies_to, g.match, g.os_family or "any", g.pairs, g.advice, g.reference)
            for g in report.data.offender_guidance
        ],
        [3],
    )


def problem_files(report: Report) -> Table:
    return _t(
        ["path", "format", "status", "records", "skipped", "error", "ingested"],
        [
            (f.path, f.format, f.status, f.records, f.skipped, f.error, stamp(f.ingested_at))
            for f in report.data.problem_files
        ],
        [3, 4],
    )
