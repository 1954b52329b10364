"""`hivewatch report`: the unload-failure report for people and for schedules.

Exit codes: 0 the report was written; 2 usage (bad --since, no warehouse, bad -o); 3 it
could not be made or written (the message says why).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from pipeline.cli_common import debug_option, guarded, warehouse_option

FORMATS = ("html", "md", "csv", "json")


@click.command()
@warehouse_option
@click.option(
    "--since",
    metavar="DATE|AGE",
    help="Start of the period: a UTC date or time (2026-01-01, 2026-01-01T06:00) or an age"
    " counted back from now (7d, 4w). Default: every event in the warehouse.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format. Default: the -o file's extension; html for a directory; md for stdout.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    help="A file to write (replaced), or a directory (existing, or ending in /) to get a new"
    " dated file hivewatch-report-YYYY-MM-DD.EXT that never overwrites an earlier one."
    " Default, or -: stdout.",
)
@debug_option
def report(
    warehouse: Path, since: str | None, fmt: str | None, output: str | None, debug: bool
) -> None:
    """Write the unload-failure report: coverage, incidents per week by class, top
    offenders, what is new since the previous report, hosts, remediation guidance, and
    files that could not be read in full.

    Each run is recorded in the warehouse (report_state.json), so a weekly schedule shows
    what changed. Example: hivewatch report --since 7d -o reports/
    """

    def action() -> int:
        from pipeline.report.output import choose_format, destination
        from pipeline.report.run import make_report

        target = destination(None if output == "-" else output)
        chosen = choose_format(fmt, target)
        outcome = make_report(warehouse, since, chosen, target, datetime.now(UTC))
        if outcome.written is None:
            click.echo(outcome.text, nl=False)
        else:
            click.echo(f"report written to {outcome.written}", err=True)
        if not outcome.recorded:
            click.echo(
                f"hivewatch: warning: no write access to {warehouse}: this run is not recorded,"
                " so the next report compares with the last recorded one",
                err=True,
            )
        return 0

    guarded(debug, action)
