"""The `hivewatch` command: thin over the library; errors become one line and an exit code
(`cli_common.py` says which)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from pipeline.cli_common import (
    DEBUG,
    OneLineGroup,
    debug_option,
    guarded,
    output_options,
    warehouse_option,
)
from pipeline.cli_report import report
from pipeline.errors import HivewatchError, UsageError, os_reason

if TYPE_CHECKING:
    from pipeline.query.sql import RowStream


@click.group(cls=OneLineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hivewatch")
@click.option(
    "--debug", is_flag=True, help="Show the full traceback when something fails (any command)."
)
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Hivewatch: which processes and registry keys keep Windows user profiles from unloading.

    Ingest collected event logs (.evtx, .evt, XML exports) into a warehouse of Parquet tables
    with a DuckDB catalog, then ask it questions with SQL.
    """
    ctx.meta[DEBUG] = debug


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@warehouse_option
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes [default: cores].",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "rust", "python"]),
    default="auto",
    show_default=True,
    help="EVTX decoder: pyevtx-rs with python-evtx fallback (auto), or one of them alone.",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT|local",
    default=None,
    help="Read the files on the workers of a Dask cluster (see docs/scale-out.md): the "
    "address of its scheduler, or 'local' for a cluster of --jobs worker processes here. "
    "Inputs and warehouse must be at the same absolute paths on every worker.",
)
@click.option(
    "--exclude",
    "exclude",
    metavar="GLOB",
    multiple=True,
    help="Skip what the folders hold whose name, path below the folder given, or whole path "
    "matches GLOB (repeatable): --exclude '*.json' --exclude 'README*' --exclude 'old'. A "
    "folder that matches is not entered; files named on the command line are always read.",
)
@debug_option
def ingest(
    paths: tuple[Path, ...],
    warehouse: Path,
    jobs: int | None,
    engine: str,
    scheduler: str | None,
    exclude: tuple[str, ...],
    debug: bool,
) -> None:
    """Read event-log files and folders (recursively) into the warehouse.

    The format is detected from each file's content. Files already ingested are skipped, so
    running it again over the same folders reads only what is new. The batch is committed
    at once at the end: an interrupted run leaves the warehouse as it was.
    """
    from pipeline.cli_ingest import run_ingest

    guarded(debug, lambda: run_ingest(list(paths), warehouse, jobs, engine, scheduler, exclude))


@main.command()
@click.argument("query")
@warehouse_option
@output_options
@debug_option
def sql(
    query: str,
    warehouse: Path,
    params: tuple[tuple[str, str], ...],
    fmt: str,
    output: Path | None,
    debug: bool,
) -> None:
    """Run read-only SQL over the tables (events, ingest_files, ...).

    Example: hivewatch sql "select host, count(*) from events where event_id = $id group by 1"
    -p id 1530
    """
    from pipeline.query.sql import stream_sql

    def action() -> int:
        stream_sql(warehouse, query, given(params), rows_to(fmt, output))
        return 0

    guarded(debug, action)


@main.command()
@click.argument("name", required=False)
@click.option("--list", "list_", is_flag=True, help="List the named queries.")
@warehouse_option
@output_options
@debug_option
def query(
    name: str | None,
    list_: bool,
    warehouse: Path,
    params: tuple[tuple[str, str], ...],
    fmt: str,
    output: Path | None,
    debug: bool,
) -> None:
    """Run the named query queries/NAME.sql, with -p parameters."""
    from pipeline.query import named
    from pipeline.query.sql import stream_sql

    def action() -> int:
        if list_:
            for query_name, path in named.available().items():
                flags = "".join(f" -p {p} VALUE" for p in named.header(path).parameters)
                click.echo(f"{query_name:<24} {named.description(path)}{flags}")
            return 0
        if not name:
            raise UsageError("give a query NAME, or --list to see them")
        stream_sql(warehouse, named.load(name), given(params), rows_to(fmt, output))
        return 0

    guarded(debug, action)


def given(params: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The -p parameters by name; one given twice is refused rather than the last kept."""
    values: dict[str, str] = {}
    for key, value in params:
        if key in values and values[key] != value:
            raise UsageError(f"-p {key} given twice ({values[key]!r}, {value!r}): give it once")
        values[key] = value
    return values


def rows_to(fmt: str, output: Path | None) -> Callable[[RowStream], None]:
    """Writes a result in `fmt` as it is fetched: to stdout (no -o, or `-o -`), else into
    `output`, which appears whole or not at all (file_output.py)."""
    from pipeline.file_output import replacing
    from pipeline.query.output import write as write_rows

    stdout = _Watched(sys.stdout)

    def to_stdout(stream: RowStream) -> None:
        if stdout.written:  # stream_sql calls again after a commit: rows already out
            raise HivewatchError(
                "an ingest replaced the warehouse's parts while the rows were being written;"
                " run the query again"
            )
        write_rows(stream, fmt, stdout)

    def to_file(stream: RowStream) -> None:
        assert output is not None
        try:
            with replacing(output) as out:
                write_rows(stream, fmt, out)
        except OSError as exc:
            raise HivewatchError(f"cannot write {output}: {os_reason(exc)}") from None

    return to_stdout if output is None or str(output) == "-" else to_file


class _Watched:
    """A text stream that remembers whether anything was written to it."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.written = False

    def write(self, text: str) -> int:
        self.written = True
        return self.out.write(text)

    def writelines(self, lines: Iterable[str]) -> None:
        self.written = True
        self.out.writelines(lines)


@main.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--hosts", type=click.IntRange(min=1), default=12, show_default=True, help="Machines."
)
@click.option(
    "--days", type=click.IntRange(min=1), default=14, show_default=True, help="Days of logs."
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same bytes.")
@click.option(
    "--formats",
    default="evtx,evt,xml",
    show_default=True,
    help="Comma-separated: evtx (Vista and later), evt (NT4-2003), xml (exports). Each "
    "appears on at least one host when there are as many hosts as formats.",
)
@click.option(
    "--damage", is_flag=True, help="Add damaged copies (truncated, flipped, stale header)."
)
@click.option("--readme", is_flag=True, help="Also write PATH/README.md with every file's sha256.")
@debug_option
def fixtures(
    path: Path,
    hosts: int,
    days: int,
    seed: int,
    formats: str,
    damage: bool,
    readme: bool,
    debug: bool,
) -> None:
    """Write a synthetic fleet of event logs, with its ground truth in PATH/truth.json.

    About 200 records per host per day, spread over the Windows generations, with the
    profile-unload failures Hivewatch looks for. Deterministic for a given seed.
    """
    from pipeline.synth.fleet import write_fleet
    from pipeline.synth.manifest import README, render

    chosen = frozenset(f.strip() for f in formats.split(",") if f.strip())

    def action() -> int:
        try:
            summary = write_fleet(
                path, hosts=hosts, days=days, seed=seed, formats=chosen, damage=damage
            )
        except FileExistsError as exc:  # a folder holding something else than a fleet
            raise UsageError(f"{exc}; give a new or empty folder") from None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        except OSError as exc:
            raise HivewatchError(f"cannot write the fleet to {path}: {os_reason(exc)}") from None
        if readme:
            (path / README).write_text(render(path), encoding="utf-8")
        click.echo(
            f"{summary.files} files, {summary.records} records, {summary.hosts} hosts, "
            f"{summary.incidents} incidents; truth in {summary.truth_path}"
        )
        return 0

    guarded(debug, action)


main.add_command(report)
