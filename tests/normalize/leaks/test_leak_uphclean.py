"""parse_uphclean / parse_uphclean_user: one hand-written case per quirk of UPHClean's bodies."""

from __future__ import annotations

import pytest

from pipeline.normalize.leaks import Leak, LeakReport
from pipeline.normalize.leaks.uphclean import parse_uphclean, parse_uphclean_user

SID = "S-1-5-21-1004336348-1177238915-682003330-1107"
VP6 = "HKCU\\Software\\Intel\\LANDesk\\VirusProtect6\\CurrentVersion"


def body(*lines: str) -> str:
    return "\r\n".join(lines) + "\r\n"


def test_one_process_with_keys_and_handles() -> None:
    text = body("Rtvscan.exe (1820)", "  HKCU (0x2b8)", f"  {VP6} (0x2f4)")
    assert parse_uphclean(text) == LeakReport(
        None,
        None,
        None,
        (
            Leak("user", 1820, "Rtvscan.exe", "rtvscan.exe", "HKCU", 1),
            Leak("user", 1820, "Rtvscan.exe", "rtvscan.exe", VP6, 1),
        ),
        (),
    )


def test_repeated_keys_of_a_process_are_counted() -> None:
    text = body("svchost.exe (1044)", "  HKCU (0x1a0)", f"  {VP6} (0x1a4)", "  HKCU (0x1a8)")
    leaks = parse_uphclean(text).leaks
    assert [(leak.key, leak.handles) for leak in leaks] == [("HKCU", 2), (VP6, 1)]


def test_error_suffix_of_1211() -> None:
    text = body("avp.exe (2212)", "  HKCU (0x2b8) error 5", f"  {VP6} (0x2c0) error 1450")
    assert [(leak.key, leak.handles) for leak in parse_uphclean(text).leaks] == [
        ("HKCU", 1),
        (VP6, 1),
    ]
    assert parse_uphclean(text).problems == ()


def test_call_stack_frames_are_ignored() -> None:
    text = body(
        "dllhost.exe (3112)",
        "  HKCU\\Software\\Classes\\CLSID (0x2b8)",
        "    0x77dfc200 ADVAPI32!TrackObject+0xe",
        "    0x77dd6bf0 ADVAPI32!RegOpenKeyExW+0x1a0",
        "    ole32!CoCreateInstance+0x37",
        "  HKCU\\Software\\Classes\\CLSID (0x2bc)",
        "    0x7c90d21a",
    )
    report = parse_uphclean(text)
    assert report.leaks == (
        Leak("classes", 3112, "dllhost.exe", "dllhost.exe", "HKCU\\Software\\Classes\\CLSID", 2),
    )
    assert report.problems == ()


@pytest.mark.parametrize(
    ("key", "hive", "expected"),
    [
        ("HKCU\\Software\\Classes", "classes", "HKCU\\Software\\Classes"),
        ("HKCU\\software\\classes\\Installer", "classes", "HKCU\\Software\\Classes\\Installer"),
        ("HKCU\\Software\\ClassesBackup", "user", "HKCU\\Software\\ClassesBackup"),
        ("HKCU\\Printers\\Connections", "user", "HKCU\\Printers\\Connections"),
    ],
)
def test_classes_keys(key: str, hive: str, expected: str) -> None:
    leaks = parse_uphclean(body("msiexec.exe (660)", f"  {key} (0x44)")).leaks
    assert [(leak.hive, leak.key) for leak in leaks] == [(hive, expected)]


def test_several_processes_and_image_names_with_spaces() -> None:
    text = body(
        "agent host.exe (5000)",
        "  HKCU\\Software\\Contoso (x86) (0x10)",
        "SSONSVR.exe (1312)",
        "  HKCU\\Software\\Citrix\\ICA Client (0x20)",
        "agent host.exe (5004)",
        "  HKCU\\Software\\Contoso (x86) (0x30)",
    )
    leaks = parse_uphclean(text).leaks
    assert [
        (leak.process_id, leak.process_image, leak.process_name, leak.key) for leak in leaks
    ] == [
        (5000, "agent host.exe", "agent host.exe", "HKCU\\Software\\Contoso (x86)"),
        (1312, "SSONSVR.exe", "ssonsvr.exe", "HKCU\\Software\\Citrix\\ICA Client"),
        (5004, "agent host.exe", "agent host.exe", "HKCU\\Software\\Contoso (x86)"),
    ]


def test_header_with_the_user() -> None:
    text = body(
        f"CONTOSO\\jdoe ({SID})", "winlogon.exe (612)", "  HKCU\\Control Panel\\Desktop (0x8)"
    )
    report = parse_uphclean(text)
    assert (report.user_name, report.user_sid) == ("CONTOSO\\jdoe", SID)
    assert report.leaks == (
        Leak("user", 612, "winlogon.exe", "winlogon.exe", "HKCU\\Control Panel\\Desktop", 1),
    )


def test_whole_message_names_the_user() -> None:
    text = (
        f"The following handles opened in the user profile hive CONTOSO\\John Smith ({SID}) "
        "have been closed because they were preventing the profile from unloading "
        "successfully: \r\n \r\n" + body("spoolsv.exe (1400)", "  HKCU\\Printers (0x100)")
    )
    report = parse_uphclean(text)
    assert (report.user_name, report.user_sid) == ("CONTOSO\\John Smith", SID)
    assert [leak.key for leak in report.leaks] == ["HKCU\\Printers"]
    assert report.problems == ()


def test_keys_indented_differently_are_still_keys() -> None:
    text = "svchost.exe (1044)\nHKCU (0x1a0)\n\tHKCU\\Software (0x1a4)\n"
    assert [leak.key for leak in parse_uphclean(text).leaks] == ["HKCU", "HKCU\\Software"]


def test_unreadable_lines_become_problems() -> None:
    text = body(
        "  HKCU (0x10)",
        "svchost.exe (1044)",
        "  HKLM\\Software (0x14)",
        "  HKCU\\Software (0x18)",
        "something else entirely",
    )
    report = parse_uphclean(text)
    assert report.leaks == (Leak("user", 1044, "svchost.exe", "svchost.exe", "HKCU\\Software", 1),)
    assert report.problems == (
        "line 1: key line before any process line: HKCU (0x10)",
        "line 3: key is not in the user's hives: HKLM\\Software (0x14)",
        "line 5: neither a process, a key nor a frame: something else entirely",
    )


@pytest.mark.parametrize("text", ["", " \r\n \r\n", "Access is denied."])
def test_odd_text_never_raises(text: str) -> None:
    assert parse_uphclean(text) == LeakReport(None, None, None, (), ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"CONTOSO\\jdoe ({SID})", ("CONTOSO\\jdoe", SID)),
        (f"  CONTOSO\\John Smith ({SID})\r\n", ("CONTOSO\\John Smith", SID)),
        ("NT AUTHORITY\\SYSTEM (S-1-5-18)", ("NT AUTHORITY\\SYSTEM", "S-1-5-18")),
        (SID, (None, SID)),
        ("CONTOSO\\jdoe", ("CONTOSO\\jdoe", None)),
        (f"({SID})", (None, SID)),
        (f"hive of CONTOSO\\jdoe ({SID}) failed to unload.", ("CONTOSO\\jdoe", SID)),
        ("CONTOSO\\jdoe (S-1-5-21-...-1107)", ("CONTOSO\\jdoe", None)),
        ("jdoe (1107)", (None, None)),
        (f"Handles of\r\nCONTOSO\\jdoe ({SID})", ("CONTOSO\\jdoe", SID)),
        ("", (None, None)),
    ],
)
def test_parse_uphclean_user(text: str, expected: tuple[str | None, str | None]) -> None:
    assert parse_uphclean_user(text) == expected
