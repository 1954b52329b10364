"""What every `hivewatch` command shares: the common options, and `guarded`, which turns
errors into one line and an exit code.

Exit codes: 0 done; 1 done, but at least one input could not be read at all; 2 usage error
(bad flag, unknown table, SQL error); 3 nothing was committed (another writer, or a fault).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from pipeline.errors import HivewatchError, UsageError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_UNREADABLE_INPUT = 1
EXIT_USAGE = 2
EXIT_NOT_COMMITTED = 3
DEBUG = "hivewatch.debug"  # `hivewatch --debug COMMAND`: in the click context's meta


def warehouse_option(command: F) -> F:
    return click.option(
        "-w",
        "--warehouse",
        type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("HIVEWATCH_WAREHOUSE", "warehouse"),
        show_default="./warehouse, or $HIVEWATCH_WAREHOUSE",
        help="Warehouse directory.",
    )(command)


def debug_option(command: F) -> F:
    return click.option(
        "--debug", is_flag=True, help="Show the full traceback when something fails."
    )(command)


def output_options(command: F) -> F:
    command = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write to FILE (its folder is made if need be); - is stdout.",
    )(command)
    command = click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
        help="Output format.",
    )(command)
    return click.option(
        "-p",
        "--param",
        "params",
        type=(str, str),
        multiple=True,
        metavar="NAME VALUE",
        help="Named parameter, used in the SQL as $NAME. Repeatable.",
    )(command)


class OneLineGroup(click.Group):
    """A command group whose usage errors are one line, as every other error is: Click's own
    are three (usage, a hint, the error)."""

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            fail(exc.format_message().rstrip(".") + where, EXIT_USAGE)
        except click.ClickException as exc:
            fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            fail("interrupted; nothing of the current batch was committed", EXIT_NOT_COMMITTED)
        sys.exit(code if isinstance(code, int) else 0)


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"hivewatch: {one_line(message)}", err=True)
    sys.exit(code)


def one_line(message: str) -> str:
    """DuckDB's messages can carry the statement and a caret on lines of their own."""
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def guarded(debug: bool, action: Callable[[], int]) -> NoReturn:
    """Run `action`; turn library errors into one line on stderr and an exit code. With
    `debug`, the traceback is shown as well, and the exit code stays the same."""
    context = click.get_current_context(silent=True)
    debug = debug or (context is not None and bool(context.meta.get(DEBUG)))
    try:
        code = action()
    except UsageError as exc:
        _traceback(debug)
        fail(str(exc), EXIT_USAGE)
    except HivewatchError as exc:  # another writer holds the warehouse, or the like
        _traceback(debug)
        fail(str(exc), EXIT_NOT_COMMITTED)
    except KeyboardInterrupt:
        fail("interrupted; nothing of the current batch was committed", EXIT_NOT_COMMITTED)
    except BrokenPipeError:  # the reader went away (`| head`): what it wanted it has
        _quiet_stdout()
        code = 0
    except Exception as exc:
        _traceback(debug)
        hint = "" if debug else " (run with --debug)"
        fail(f"internal error: {type(exc).__name__}: {exc}{hint}", EXIT_NOT_COMMITTED)
    sys.exit(code)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit fails no second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc(file=sys.stderr)
