"""The warehouse's answers for one period, as `ReportData`, over one read-only connection."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from pipeline.query.sql import read_consistently
from pipeline.report.model import (
    ClassGuidance,
    ClassTotal,
    Coverage,
    HostTotal,
    Offender,
    OffenderGuidance,
    OffenderSide,
    ProblemFile,
    ReportData,
    WeekCount,
)
from pipeline.report.queries import fetch

# Stands for "no lower bound": older than any event a Windows log can hold.
BEGINNING = datetime(1601, 1, 1)
TOP_HOSTS = 15


def gather(root: Path, since: datetime | None) -> ReportData:
    params: dict[str, Any] = {"since": since or BEGINNING, "top": TOP_HOSTS}
    return read_consistently(root, partial(_answers, params=params))


def _answers(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> ReportData:
    """All the report's answers from one connection: one catalog, one state of the data."""
    problems = tuple(ProblemFile(*row) for row in fetch(con, "problem_files", params))
    (cov,) = fetch(con, "coverage", params)
    sides = [OffenderSide(*row) for row in fetch(con, "offender_sides", params)]
    return ReportData(
        coverage=Coverage(
            records=cov[0],
            hosts=cov[1],
            files=cov[2],
            first_event=cov[3],
            last_event=cov[4],
            incidents=cov[5],
            incident_hosts=cov[6],
            ingest_problems=len(problems),
        ),
        weeks=tuple(WeekCount(*row) for row in fetch(con, "incidents_by_week", params)),
        classes=tuple(ClassTotal(*row) for row in fetch(con, "incident_classes", params)),
        offenders=tuple(Offender(*row) for row in fetch(con, "offenders", params)),
        processes=tuple(s for s in sides if s.side == "process"),
        keys=tuple(s for s in sides if s.side == "key"),
        hosts=tuple(
            HostTotal(r[0], r[1], r[2], r[3], tuple(r[4]), r[5])
            for r in fetch(con, "hosts", params)
        ),
        class_guidance=tuple(ClassGuidance(*row) for row in fetch(con, "class_guidance", params)),
        offender_guidance=tuple(
            OffenderGuidance(*row) for row in fetch(con, "offender_guidance", params)
        ),
        problem_files=problems,
    )
