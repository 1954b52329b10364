"""`-o FILE` where a rename cannot replace the file: written in place once complete; and
the owner of a replaced file kept where the writer may give it (root)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import file_output
from pipeline.cli import main
from pipeline.file_output import replacing
from pipeline.ingest.run import Summary


@pytest.fixture(scope="module")
def warehouse(samples_warehouse: tuple[Path, Summary]) -> str:
    return str(samples_warehouse[0])


def test_a_file_that_cannot_be_renamed_over_is_written_in_place(
    warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file bind-mounted into a container refuses a rename over it with EBUSY."""
    target = tmp_path / "mounted.csv"
    target.write_text("an older and much longer result than the new one\n")
    inode = target.stat().st_ino

    def busy(source: object, destination: object) -> None:
        raise OSError(errno.EBUSY, "Device or resource busy")

    monkeypatch.setattr(file_output.os, "replace", busy)
    command = ["sql", "select 42 as n", "-w", warehouse, "--format", "csv", "-o", str(target)]
    got = CliRunner().invoke(main, command)
    assert got.exit_code == 0, got.output
    assert target.read_text() == "n\n42\n" and target.stat().st_ino == inode
    assert [p.name for p in tmp_path.iterdir()] == ["mounted.csv"]  # no temporary left


def test_a_writable_file_in_a_folder_closed_to_the_writer_is_written_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report into a web root the scheduled job does not own, at a file it may write.
    (Root may create files anywhere, so the closed folder is what `os.access` says.)"""
    folder = tmp_path / "www"
    folder.mkdir()
    target = folder / "report.html"
    target.write_text("last week's report\n")
    inode = target.stat().st_ino
    real_access = os.access

    def closed(path: object, mode: int) -> bool:
        return False if Path(str(path)) == folder else real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(file_output.os, "access", closed)
    with replacing(target) as out:
        out.write("this week's report\n")
        assert target.read_text() == "last week's report\n"  # untouched until complete
        assert list(folder.iterdir()) == [target]  # the temporary is elsewhere
    assert target.read_text() == "this week's report\n" and target.stat().st_ino == inode
    with pytest.raises(RuntimeError), replacing(target) as out:
        out.write("half a report")
        raise RuntimeError("the query failed")
    assert target.read_text() == "this week's report\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another owner")
def test_a_replaced_file_keeps_its_owner(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old\n")
    os.chown(target, 12345, 23456)
    with replacing(target) as out:
        out.write("new\n")
    assert target.read_text() == "new\n"
    assert (target.stat().st_uid, target.stat().st_gid) == (12345, 23456)
