"""Kernel and HKCU key spellings -> the HKCU-relative key of `hive_leaks`; image names."""

from __future__ import annotations

import pytest

from pipeline.normalize.leaks.keys import (
    HivePath,
    hkcu_key,
    is_sid,
    kernel_key,
    looks_like_key,
    process_name,
    split_users_path,
    user_key,
)

SID = "S-1-5-21-602081245-168618202-1764554437-1000"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"\\REGISTRY\\USER\\{SID}", ("user", "HKCU")),
        (f"\\REGISTRY\\USER\\{SID}\\Software\\A b (x86)", ("user", "HKCU\\Software\\A b (x86)")),
        (f"\\REGISTRY\\USER\\{SID}_CLASSES", ("classes", "HKCU\\Software\\Classes")),
        (f"\\Registry\\User\\{SID}_Classes", ("classes", "HKCU\\Software\\Classes")),
        (f"\\registry\\user\\{SID}_classes\\CLSID", ("classes", "HKCU\\Software\\Classes\\CLSID")),
        (f"\\REGISTRY\\USER\\{SID}\\SOFTWARE\\Microsoft", ("user", "HKCU\\SOFTWARE\\Microsoft")),
        (f"HKEY_USERS\\{SID}\\Printers", ("user", "HKCU\\Printers")),
        (f"HKU\\{SID}_Classes\\Installer", ("classes", "HKCU\\Software\\Classes\\Installer")),
    ],
)
def test_kernel_key(path: str, expected: tuple[str, str]) -> None:
    assert kernel_key(path) == expected


@pytest.mark.parametrize(
    "path", ["\\REGISTRY\\MACHINE\\SOFTWARE", "HKCU\\Software", "", "\\REGISTRY\\USER"]
)
def test_kernel_key_outside_the_user_hives(path: str) -> None:
    assert kernel_key(path) is None


def test_split_users_path_keeps_the_sid_as_logged() -> None:
    assert split_users_path(f"\\Registry\\User\\{SID}_Classes") == HivePath(
        SID, "classes", "HKCU\\Software\\Classes"
    )
    assert split_users_path("\\REGISTRY\\USER\\S-1-5-21-...-1653\\X") == HivePath(
        "S-1-5-21-...-1653", "user", "HKCU\\X"
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("HKCU", ("user", "HKCU")),
        ("hkcu\\Software\\Citrix", ("user", "HKCU\\Software\\Citrix")),
        ("HKEY_CURRENT_USER\\Printers", ("user", "HKCU\\Printers")),
        ("HKCU\\Software\\Classes", ("classes", "HKCU\\Software\\Classes")),
        ("HKCU\\SOFTWARE\\CLASSES\\CLSID", ("classes", "HKCU\\Software\\Classes\\CLSID")),
        ("HKCU\\Software\\ClassesOld", ("user", "HKCU\\Software\\ClassesOld")),
        ("HKLM\\Software", None),
        ("HKCUX\\Software", None),
    ],
)
def test_hkcu_key(key: str, expected: tuple[str, str] | None) -> None:
    assert hkcu_key(key) == expected


def test_user_key_takes_either_spelling() -> None:
    assert user_key("HKCU\\X") == ("user", "HKCU\\X")
    assert user_key(f"\\REGISTRY\\USER\\{SID}_CLASSES\\X") == (
        "classes",
        "HKCU\\Software\\Classes\\X",
    )
    assert user_key("C:\\Windows") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HKCU (0x2b8)", True),
        ("hkcu\\Software (0x2b8)", True),
        ("HKLM\\Software (0x2b8)", True),
        ("\\REGISTRY\\USER\\S-1-5-18", True),
        ("hkcuagent.exe (12)", False),
        ("svchost.exe (1234)", False),
        ("", False),
    ],
)
def test_looks_like_key(text: str, expected: bool) -> None:
    assert looks_like_key(text) is expected


@pytest.mark.parametrize(
    ("image", "name"),
    [
        (
            "\\Device\\HarddiskVolume2\\Program Files (x86)\\Contoso (Shared)\\Agent Host.exe",
            "agent host.exe",
        ),
        ("C:\\Windows\\System32\\svchost.exe", "svchost.exe"),
        ("SSONSVR.exe", "ssonsvr.exe"),
        ('"C:\\Program Files\\X\\y.EXE"', "y.exe"),
        ("", ""),
    ],
)
def test_process_name(image: str, name: str) -> None:
    assert process_name(image) == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [(SID, True), ("S-1-5-18", True), ("S-1-5-21-...-1000", False), ("s-1", False)],
)
def test_is_sid(text: str, expected: bool) -> None:
    assert is_sid(text) is expected
