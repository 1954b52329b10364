"""One report run: read the period from the warehouse, compare with the previous run,
render, write, then record the run so the next report can say what is new."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.report.gather import gather
from pipeline.report.model import Report
from pipeline.report.output import Destination, write_report
from pipeline.report.period import parse_period
from pipeline.report.render import render
from pipeline.report.state import RunRecord, compare, load_runs, record_run


@dataclass(frozen=True)
class Outcome:
    text: str
    written: Path | None
    report: Report
    recorded: bool = True  # False: no write access to the warehouse, the run is not recorded


def build_report(root: Path, since: str | None, now: datetime) -> Report:
    """The report for `since` (see period.py) as of `now`, compared with the last run."""
    period = parse_period(since, now)
    data = gather(root, period.since)
    runs = load_runs(root)
    changes = compare(runs[-1] if runs else None, data.offenders)
    return Report(period=period, data=data, changes=changes, warehouse=str(root))


def make_report(
    root: Path, since: str | None, fmt: str, output: Destination | None, now: datetime
) -> Outcome:
    """Build and render the report, write it to `output` (None: the caller prints `text`),
    and record the run in the warehouse. A reader who may not write to the warehouse still
    gets the report; only the run is not recorded."""
    report = build_report(root, since, now)
    text = render(report, fmt)
    written = write_report(text, output, fmt, report.period.generated) if output else None
    run = RunRecord(
        ran_at=report.period.generated,
        since=report.period.since,
        format=fmt,
        output=str(written) if written else None,
        pairs=tuple((o.process_name, o.key) for o in report.data.offenders),
    )
    try:
        record_run(root, run)
    except PermissionError:
        return Outcome(text=text, written=written, report=report, recorded=False)
    return Outcome(text=text, written=written, report=report)
