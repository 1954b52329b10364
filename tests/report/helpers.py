"""Running `hivewatch report` in-process for the report tests."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from pipeline.cli import main


def hivewatch(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def report(warehouse: Path, *args: str) -> Result:
    """`hivewatch report -w WAREHOUSE ARGS`, which must succeed."""
    result = hivewatch("report", "-w", str(warehouse), *args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def one_line_error(result: Result, code: int) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hivewatch: "), lines
    return lines[0]
