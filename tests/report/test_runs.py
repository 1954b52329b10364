"""Where reports go, the period, the history of runs, and the one-line errors."""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest

from pipeline.cli import main
from pipeline.report.run import build_report
from pipeline.report.state import STATE
from tests.report.helpers import hivewatch, one_line_error, report

DATED = re.compile(r"hivewatch-report-(\d{4}-\d{2}-\d{2})(-\d{6}(-\d+)?)?\.html")


def test_directory_gets_dated_files_and_keeps_each(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    first = report(warehouse, "-o", str(out))
    second = report(warehouse, "-o", str(out))
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 2 and all(DATED.fullmatch(name) for name in files), files
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert f"hivewatch-report-{today}.html" in files
    assert first.stdout == second.stdout == ""
    assert str(out) in first.stderr
    texts = [(out / name).read_text(encoding="utf-8") for name in files]
    assert all(t.startswith("<!DOCTYPE html>") and t.endswith("</html>\n") for t in texts)
    assert not list(out.glob(".*")), "no temporary file left behind"


def test_new_directory_with_slash_and_file_format_by_extension(
    warehouse: Path, tmp_path: Path
) -> None:
    report(warehouse, "-o", f"{tmp_path / 'new'}/", "--format", "md")
    assert [p.suffix for p in (tmp_path / "new").iterdir()] == [".md"]
    target = tmp_path / "weekly.json"
    report(warehouse, "-o", str(target))
    report(warehouse, "-o", str(target))  # a named file is replaced
    assert json.loads(target.read_text(encoding="utf-8"))["report_format"] == 1


def test_since_age_counts_back_from_now(warehouse: Path) -> None:
    now = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
    by_age = build_report(warehouse, "1d", now)
    by_date = build_report(warehouse, "2024-03-05T12:00:00", now)
    assert by_age.period.since == by_date.period.since == datetime(2024, 3, 5, 12)
    assert by_age.data == by_date.data
    whole = build_report(warehouse, None, now).data
    assert 0 < by_age.data.coverage.incidents < whole.coverage.incidents
    assert all(o.last_seen >= datetime(2024, 3, 5, 12) for o in by_age.data.offenders)
    assert build_report(warehouse, "4w", now).data == whole


def test_since_on_the_command_line(warehouse: Path, truth: dict[str, Any]) -> None:
    recent = json.loads(report(warehouse, "--since", "7d", "--format", "json").stdout)
    since = datetime.fromisoformat(recent["period"]["since"])
    assert abs(since - (datetime.now(UTC) - timedelta(days=7))) < timedelta(minutes=1)
    assert recent["coverage"]["incidents"] == 0 and recent["top_offenders"] == []
    dated = json.loads(report(warehouse, "--since", "2024-03-05", "--format", "json").stdout)
    expected = sum(1 for i in truth["incidents"] if i["started"] >= "2024-03-05")
    assert dated["coverage"]["incidents"] == expected
    ever = {(o["process_name"], o["key"]): o["first_seen"] for o in truth["offenders"]}
    shown = {(o["process_name"], o["key"]): o["first_seen"] for o in dated["top_offenders"]}
    assert shown and all(
        datetime.fromisoformat(seen) == datetime.fromisoformat(ever[pair])
        for pair, seen in shown.items()
    ), "first seen is since when, before the period too"
    assert any(
        datetime.fromisoformat(seen) < datetime(2024, 3, 5, tzinfo=UTC) for seen in shown.values()
    )
    empty_md = report(warehouse, "--since", "7d").stdout
    assert "No incidents in this period." in empty_md
    assert "No events in this period." in empty_md and "Events from -" not in empty_md


def test_the_text_names_its_period_and_what_it_leaves_out(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pipeline.report.gather.TOP_HOSTS", 3)
    text = report(warehouse).stdout
    assert "Period: all events in the warehouse; generated " in text
    assert "Events from 2024-03-04 00:00:56 to 2024-03-05 23:59:10 UTC." in text
    assert "The 3 of 8 hosts with incidents, those with most." in text
    assert "The 15 of 19 (process, key) pairs" in text and "query offenders' lists all" in text
    assert "### Processes, over all their pairs" in text and "### Keys" in text
    assert "query offending_processes" not in text  # all 14 processes are shown


def test_history_says_what_is_new_and_when_nothing_is(warehouse: Path) -> None:
    first = report(warehouse, "--since", "2024-03-05T12:00", "--format", "json").stdout
    assert json.loads(first)["changes"]["previous_run"] is None
    second = json.loads(report(warehouse, "--format", "json").stdout)["changes"]
    assert second["previous_run"]["since"].startswith("2024-03-05T12:00")
    assert second["new_pairs"] and not second["nothing_new"]
    assert "svchost.exe" not in second["new_processes"]  # seen on both days
    new = {(p["process_name"], p["key"].lower()) for p in second["new_pairs"]}
    assert ("lsass.exe", "hkcu") in new  # only on 2024-03-04
    third = report(warehouse).stdout
    assert "Nothing new since the previous report" in third
    runs = json.loads((warehouse / STATE).read_text(encoding="utf-8"))["runs"]
    assert len(runs) == 3 and [r["format"] for r in runs] == ["json", "json", "md"]


def test_usage_errors_are_one_line(warehouse: Path, tmp_path: Path) -> None:
    for bad in ("yesterday", "7x", "2024-13-01", "2999-01-01"):
        message = one_line_error(hivewatch("report", "-w", str(warehouse), "--since", bad), 2)
        assert "--since" in message
    missing = hivewatch("report", "-w", str(tmp_path / "none"))
    assert "no warehouse at" in one_line_error(missing, 2)
    assert not (tmp_path / "none").exists()
    odd = hivewatch("report", "-w", str(warehouse), "-o", str(tmp_path / "report.txt"))
    assert "--format" in one_line_error(odd, 2)
    assert not (warehouse / STATE).exists(), "a failed run records nothing"


def test_a_link_is_written_through_and_a_pipe_is_written_to(
    warehouse: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target.md"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    report(warehouse, "-o", str(link))
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("# Hivewatch")
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    report(warehouse, "-o", str(pipe), "--format", "md")
    reader.join(timeout=30)
    assert stat.S_ISFIFO(pipe.lstat().st_mode), "the pipe was replaced by a file"
    assert received and received[0].startswith(b"# Hivewatch")


def test_a_file_in_the_way_of_the_folder_is_named(warehouse: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "rep.md"
    blocked.write_text("an earlier report", encoding="utf-8")
    for target in (f"{blocked}/", str(blocked / "weekly.md")):
        line = one_line_error(hivewatch("report", "-w", str(warehouse), "-o", target), 3)
        assert line.endswith(f": {blocked} is a file, not a folder"), line
    assert blocked.read_text(encoding="utf-8") == "an earlier report"


def test_damaged_history_fails_with_exit_3(warehouse: Path) -> None:
    (warehouse / STATE).write_text("{not json", encoding="utf-8")
    message = one_line_error(hivewatch("report", "-w", str(warehouse)), 3)
    assert STATE in message and "move it away" in message


def test_a_reader_without_write_access_still_gets_the_report(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As another user on a warehouse owned by the ingest's account: the state files can be
    # read, not opened for writing. (Tests run as root, where permissions do not bite.)
    real_open = Path.open

    def refuse_state(self: Path, *args: Any, **kwargs: Any) -> Any:
        mode = args[0] if args else kwargs.get("mode", "r")
        if (
            self.parent == warehouse
            and self.name.startswith("report_state")
            and set(mode) & set("wa+")
        ):
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse_state)
    target = tmp_path / "r.md"
    result = report(warehouse, "-o", str(target))
    assert target.read_text(encoding="utf-8").startswith("# ")
    assert "this run is not recorded" in result.stderr
    assert not (warehouse / STATE).exists()


@pytest.mark.parametrize("option", ["--warehouse", "--since", "--format", "--output", "--debug"])
def test_every_option_has_help(option: str) -> None:
    command = main.commands["report"] if isinstance(main, click.Group) else None
    assert command is not None
    found = [p for p in command.params if option in getattr(p, "opts", [])]
    assert found and isinstance(found[0], click.Option) and len(found[0].help or "") > 10
    assert option in hivewatch("report", "--help").stdout
