"""The report's sections in order, as blocks (headings, paragraphs, tables, charts) that the
HTML and Markdown renderers turn into markup. What a report says is decided here, once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipeline.report import tables
from pipeline.report.model import Report
from pipeline.report.tables import Table
from pipeline.report.text import (
    TITLE,
    change_summary,
    nothing_line,
    period_line,
    shown_of,
    span_line,
)


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Para:
    text: str
    style: Literal["", "muted", "note"] = ""


@dataclass(frozen=True)
class TableBlock:
    table: Table


@dataclass(frozen=True)
class Chart:
    kind: Literal["weekly", "offenders"]


Block = Heading | Para | TableBlock | Chart


def _table_or(table: Table, empty: str) -> Block:
    return TableBlock(table) if table.rows else Para(empty)


def blocks(report: Report) -> list[Block]:
    d = report.data
    c = d.coverage
    ch = report.changes
    out: list[Block] = [
        Heading(1, TITLE),
        Para(period_line(report), "muted"),
        Para(f"Warehouse: {report.warehouse}", "muted"),
        Heading(2, "Coverage", "coverage"),
        TableBlock(tables.coverage(report)),
        Para(span_line(report), "muted"),
        Heading(2, "New since the previous report", "changes"),
        Para(change_summary(ch), "note"),
    ]
    if ch.new_processes:
        out.append(Para("New processes: " + ", ".join(ch.new_processes)))
    if ch.new_keys:
        out.append(Para("New keys: " + ", ".join(ch.new_keys)))
    if ch.new_pairs:
        out.append(TableBlock(tables.offender_pairs(ch.new_pairs, ranked=False)))
    if ch.gone_pairs:
        out.append(Para(f"No longer seen in this period ({len(ch.gone_pairs)}):"))
        out.append(TableBlock(tables.gone_pairs(report)))
    out.append(Heading(2, "Incidents per week by class", "incidents"))
    if d.classes:
        out += [Chart("weekly"), TableBlock(tables.classes(report))]
        out += [Heading(3, "Per week"), TableBlock(tables.weeks(report))]
    else:
        out.append(Para(nothing_line("incidents")))
    out.append(Heading(2, "Top offenders", "offenders"))
    if report.top_offenders:
        out.append(
            Para(
                f"The {len(report.top_offenders)} of {len(d.offenders)} (process, key) pairs"
                " seen on the most hosts, then in the most incidents"
                + (
                    "; 'hivewatch query offenders' lists all."
                    if len(d.offenders) > report.top
                    else "."
                ),
                "muted",
            )
        )
        out += [Chart("offenders"), TableBlock(tables.offender_pairs(report.top_offenders, True))]
        for title, sides, whole, named, query in (
            ("Processes", report.top_processes, d.processes, "process", "offending_processes"),
            ("Keys", report.top_keys, d.keys, "key", "offending_keys"),
        ):
            out.append(Heading(3, f"{title}, over all their pairs"))
            shown = shown_of(len(sides), len(whole), f"{named}s seen on the most hosts")
            if shown:
                out.append(Para(f"{shown} 'hivewatch query {query}' lists all.", "muted"))
            out.append(TableBlock(tables.offender_sides(sides, named)))
    else:
        out.append(Para(nothing_line("leaked registry handles")))
    out.append(Heading(2, "Hosts with the most incidents", "hosts"))
    shown = shown_of(len(d.hosts), c.incident_hosts, "hosts with incidents, those with most")
    if shown:
        out.append(Para(f"{shown} Every incident is in the table unload_incidents.", "muted"))
    out += [
        _table_or(tables.hosts(report), nothing_line("incidents")),
        Heading(2, "Remediation guidance", "guidance"),
        Heading(3, "Per class and OS generation"),
        _table_or(tables.class_guidance(d.class_guidance), nothing_line("incidents")),
        Heading(3, "For the processes and keys named"),
        _table_or(
            tables.offender_guidance(report),
            "No guidance matches the processes and keys of this period.",
        ),
        Heading(2, "Files partial or rejected", "files"),
        _table_or(
            tables.problem_files(report), "Every file ingested in this period was read in full."
        ),
    ]
    return out
