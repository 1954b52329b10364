"""parse_lock: the interfering process of a 1545 / 1552 as one leak of the hive root."""

from __future__ import annotations

import pytest

from pipeline.normalize.leaks import Leak, LeakReport
from pipeline.normalize.leaks.lock import parse_lock

AVP = "C:\\Program Files (x86)\\Kaspersky Lab\\Kaspersky Endpoint Security for Windows\\avp.exe"


@pytest.mark.parametrize("pid", [4312, "4312", " 4312 ", "0x10d8"])
def test_one_leak_of_the_hive_root(pid: str | int) -> None:
    assert parse_lock(AVP, pid) == LeakReport(
        None, None, None, (Leak("user", 4312, AVP, "avp.exe", "HKCU", 1),), ()
    )


def test_image_with_spaces_in_its_file_name() -> None:
    report = parse_lock("C:\\Program Files\\Contoso\\Agent Host.EXE", 8)
    assert [(leak.process_image, leak.process_name) for leak in report.leaks] == [
        ("C:\\Program Files\\Contoso\\Agent Host.EXE", "agent host.exe")
    ]


@pytest.mark.parametrize("pid", ["n/a", -1, ""])
def test_unreadable_pid_keeps_the_leak(pid: str | int) -> None:
    report = parse_lock(AVP, pid)
    assert report.leaks == (Leak("user", None, AVP, "avp.exe", "HKCU", 1),)
    assert report.problems == (f"unreadable InterferingPID: {pid}",)


def test_missing_values() -> None:
    assert parse_lock(None, None) == LeakReport(
        None, None, None, (), ("no InterferingPID", "no InterferingImageName")
    )
    assert parse_lock("  ", 12).leaks == ()
    assert parse_lock(AVP, None).leaks == (Leak("user", None, AVP, "avp.exe", "HKCU", 1),)
