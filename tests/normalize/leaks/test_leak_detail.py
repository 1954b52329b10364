"""parse_detail: one hand-written case per quirk of the 1530 DETAIL (shared/domain.md)."""

from __future__ import annotations

import pytest

from pipeline.normalize.leaks import Leak, LeakReport
from pipeline.normalize.leaks.detail import parse_detail

SID = "S-1-5-21-602081245-168618202-1764554437-1000"
OTHER_SID = "S-1-5-21-111111111-222222222-333333333-1653"
STEAM = (
    "\\Device\\HarddiskVolume2\\Program Files (x86)\\Steam\\SteamApps\\common"
    "\\SpaceEngineers\\Bin64\\SpaceEngineers.exe"
)
SQL = "\\Device\\HarddiskVolume4\\00.Install\\SQL Server 2016 (x64)\\x64\\ScenarioEngine.exe"
SVCHOST = "\\Device\\HarddiskVolume2\\Windows\\System32\\svchost.exe"
IS = "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"


def count_line(n: int, hive_suffix: str = "", sid: str = SID) -> str:
    return f"{n} user registry handles leaked from \\Registry\\User\\{sid}{hive_suffix}:"


def line(pid: int, image: str, subkey: str = "", sid: str = SID, classes: bool = False) -> str:
    hive = f"{sid}_CLASSES" if classes else sid
    return f"Process {pid} ({image}) has opened key \\REGISTRY\\USER\\{hive}{subkey}"


def test_repeated_lines_merge_into_handles() -> None:
    text = "\r\n".join([count_line(3), line(820, SVCHOST), line(820, SVCHOST), line(820, SVCHOST)])
    assert parse_detail(text) == LeakReport(
        SID, None, 3, (Leak("user", 820, SVCHOST, "svchost.exe", "HKCU", 3),), ()
    )


def test_same_key_in_another_process_is_another_leak() -> None:
    text = "\n".join([count_line(3), line(820, SVCHOST), line(821, SVCHOST), line(820, SVCHOST)])
    leaks = parse_detail(text).leaks
    assert [(leak.process_id, leak.handles) for leak in leaks] == [(820, 2), (821, 1)]


def test_header_count_disagreeing_keeps_the_lines() -> None:
    text = "\r\n".join([count_line(5), line(820, SVCHOST), line(1672, SQL, "\\" + IS)])
    report = parse_detail(text)
    assert report.declared_handles == 5
    assert sum(leak.handles for leak in report.leaks) == 2
    assert report.problems == ()


def test_classes_header_and_upper_case_lines() -> None:
    text = "\r\n".join(
        [
            count_line(2, "_Classes"),
            line(6520, STEAM, classes=True),
            line(6520, STEAM, "\\CLSID\\{00021401-0000-0000-C000-000000000046}", classes=True),
        ]
    )
    report = parse_detail(text)
    assert report.user_sid == SID
    assert report.leaks == (
        Leak("classes", 6520, STEAM, "spaceengineers.exe", "HKCU\\Software\\Classes", 1),
        Leak(
            "classes",
            6520,
            STEAM,
            "spaceengineers.exe",
            "HKCU\\Software\\Classes\\CLSID\\{00021401-0000-0000-C000-000000000046}",
            1,
        ),
    )


def test_count_line_with_a_leading_space() -> None:
    text = f" {count_line(1)}\r\n{line(820, SVCHOST)}\r\n"
    report = parse_detail(text)
    assert (report.user_sid, report.declared_handles) == (SID, 1)
    assert report.leaks == (Leak("user", 820, SVCHOST, "svchost.exe", "HKCU", 1),)
    assert report.problems == ()


@pytest.mark.parametrize("dash", ["-", "\u2013"])
def test_classic_single_value_with_hyphen_or_en_dash(dash: str) -> None:
    text = f"DETAIL {dash} \r\n {count_line(2)}\r\n{line(820, SVCHOST)}\r\n{line(820, SVCHOST)}"
    assert parse_detail(text) == LeakReport(
        SID, None, 2, (Leak("user", 820, SVCHOST, "svchost.exe", "HKCU", 2),), ()
    )


def test_image_with_spaces_and_parentheses() -> None:
    image = "\\Device\\HarddiskVolume2\\Program Files (x86)\\Contoso (Shared)\\agent host.exe"
    text = "\n".join([count_line(2), line(5000, image, "\\Software\\Contoso"), line(1672, SQL)])
    assert parse_detail(text).leaks == (
        Leak("user", 5000, image, "agent host.exe", "HKCU\\Software\\Contoso", 1),
        Leak("user", 1672, SQL, "scenarioengine.exe", "HKCU", 1),
    )


def test_root_and_deep_keys_keep_their_spelling() -> None:
    deep = (
        "\\Software\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
        "\\Lockdown_Zones\\4"
    )
    text = "\n".join(
        [count_line(3), line(820, SVCHOST), line(1672, SQL, "\\" + IS), line(9, SQL, deep)]
    )
    assert [leak.key for leak in parse_detail(text).leaks] == ["HKCU", "HKCU\\" + IS, "HKCU" + deep]


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
@pytest.mark.parametrize("trailing", [True, False])
def test_crlf_or_lf_with_or_without_a_trailing_break(newline: str, trailing: bool) -> None:
    text = newline.join([count_line(2), line(820, SVCHOST), line(1672, SQL, "\\" + IS)])
    report = parse_detail(text + (newline if trailing else ""))
    assert [(leak.process_id, leak.key, leak.handles) for leak in report.leaks] == [
        (820, "HKCU", 1),
        (1672, "HKCU\\" + IS, 1),
    ]
    assert report.problems == ()


def test_redacted_copy_with_other_sids_in_the_lines() -> None:
    text = "\r\n".join(
        [
            count_line(3, "_Classes"),
            line(6520, STEAM, sid=OTHER_SID, classes=True),
            line(1672, SQL, "\\" + IS, sid="S-1-5-21-...-1653"),
            line(1672, SQL, "\\" + IS, sid="S-1-5-21-xxxxxxxx-1653"),
        ]
    )
    report = parse_detail(text)
    assert report.user_sid == SID
    assert [(leak.hive, leak.key, leak.handles) for leak in report.leaks] == [
        ("classes", "HKCU\\Software\\Classes", 1),
        ("user", "HKCU\\" + IS, 2),
    ]
    assert report.problems == ()


def test_whole_rendered_message() -> None:
    text = (
        "Windows detected your registry file is still in use by other applications or "
        "services. The file will be unloaded now. The applications or services that hold "
        "your registry file may not function properly afterwards. No user action is "
        f"required. \r\n\r\n DETAIL - \r\n {count_line(1)}\r\n{line(820, SVCHOST)}\r\n"
    )
    report = parse_detail(text)
    assert report.leaks == (Leak("user", 820, SVCHOST, "svchost.exe", "HKCU", 1),)
    assert report.problems == ()


def test_line_breaks_collapsed_to_spaces() -> None:
    image = "\\Device\\HarddiskVolume2\\Tools\\Process 12 (beta)\\x.exe"
    parts = [f"DETAIL - {count_line(3)}", line(820, SVCHOST), line(7, image), line(820, SVCHOST)]
    report = parse_detail(" ".join(parts))
    assert report.declared_handles == 3
    assert [(leak.process_id, leak.process_image, leak.handles) for leak in report.leaks] == [
        (820, SVCHOST, 2),
        (7, image, 1),
    ]
    assert report.problems == ()


def test_unreadable_lines_become_problems() -> None:
    text = "\n".join(
        [
            count_line(4),
            line(820, SVCHOST),
            f"Process 99 ({SVCHOST} has opened key \\REGISTRY\\USER\\{SID}",
            f"Process 98 ({SVCHOST}) has opened key \\REGISTRY\\MACHINE\\SOFTWARE",
            f"Process 97 ({SVCHOST}) has opened key ",
            "some trailing garbage",
        ]
    )
    report = parse_detail(text)
    assert report.leaks == (Leak("user", 820, SVCHOST, "svchost.exe", "HKCU", 1),)
    assert [p.split(":")[0] for p in report.problems] == ["line 3", "line 4", "line 5", "line 6"]
    assert "no ') has opened key'" in report.problems[0]
    assert "not below \\REGISTRY\\USER" in report.problems[1]
    assert "no key" in report.problems[2]
    assert "not a Process line" in report.problems[3]


def test_unreadable_pid_keeps_the_leak_and_says_so() -> None:
    text = f"{count_line(1)}\nProcess XXXX ({SVCHOST}) has opened key \\REGISTRY\\USER\\{SID}"
    report = parse_detail(text)
    assert report.leaks == (Leak("user", None, SVCHOST, "svchost.exe", "HKCU", 1),)
    assert report.problems == (
        f"line 2: unreadable process id: Process XXXX ({SVCHOST}) has opened key "
        f"\\REGISTRY\\USER\\{SID}",
    )


def test_count_line_with_a_redacted_sid_gives_no_user() -> None:
    report = parse_detail(f"{count_line(1, sid='S-1-5-21-...-1000')}\n{line(820, SVCHOST)}")
    assert (report.user_sid, report.declared_handles, len(report.leaks)) == (None, 1, 1)
    assert len(report.problems) == 1
    assert "names no user SID" in report.problems[0]


def test_lines_without_a_count_line() -> None:
    report = parse_detail(line(820, SVCHOST))
    assert (report.user_sid, report.declared_handles) == (None, None)
    assert report.leaks == (Leak("user", 820, SVCHOST, "svchost.exe", "HKCU", 1),)
    assert report.problems == ("no 'N user registry handles leaked from' count line",)


@pytest.mark.parametrize("text", ["", "\r\n", "DETAIL - ", "Access is denied."])
def test_odd_text_never_raises(text: str) -> None:
    report = parse_detail(text)
    assert report.leaks == ()
    assert len(report.problems) == 1
