"""Registry key spellings -> the HKCU-relative form of `hive_leaks.key`, and image names.

A 1530 line names a key by its kernel path, `\\REGISTRY\\USER\\<SID>[\\X]` for the user
hive and `\\REGISTRY\\USER\\<SID>_CLASSES[\\X]` for the classes hive; UPHClean already
writes `HKCU[\\X]`, with the classes hive below `HKCU\\Software\\Classes`. Both become
'HKCU[\\X]' / 'HKCU\\Software\\Classes[\\X]': prefixes match case-insensitively, the
roots are spelled canonically and the rest of the key is kept as logged.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

USER: Final = "user"
CLASSES: Final = "classes"
HKCU: Final = "HKCU"
CLASSES_ROOT: Final = "HKCU\\Software\\Classes"

# Spellings of the root of HKEY_USERS; the next path component names the hive.
_USERS_PREFIXES: Final = ("\\registry\\user\\", "registry\\user\\", "hkey_users\\", "hku\\")
_HKCU_ROOTS: Final = ("hkcu", "hkey_current_user")
_CLASSES_SUFFIX: Final = "_classes"
_SID: Final = re.compile(r"S-1-\d+(?:-\d+)+", re.IGNORECASE)


class HivePath(NamedTuple):
    """A kernel path split into the hive's SID component, the hive and the HKCU key."""

    sid: str  # the component as logged, '_Classes' removed
    hive: str
    key: str


def is_sid(text: str) -> bool:
    return _SID.fullmatch(text) is not None


def split_users_path(path: str) -> HivePath | None:
    """`\\REGISTRY\\USER\\<SID>[_CLASSES][\\X]` (or HKU / HKEY_USERS) -> HivePath; else None."""
    text = path.strip()
    rest = _strip_prefix(text, _USERS_PREFIXES)
    if rest is None:
        return None
    component, sep, tail = rest.partition("\\")
    subkey = sep + tail
    if component.lower().endswith(_CLASSES_SUFFIX):
        return HivePath(component[: -len(_CLASSES_SUFFIX)], CLASSES, CLASSES_ROOT + subkey)
    return HivePath(component, USER, HKCU + subkey)


def kernel_key(path: str) -> tuple[str, str] | None:
    """Kernel path -> (hive, HKCU-relative key), whatever SID the path shows."""
    split = split_users_path(path)
    return None if split is None else (split.hive, split.key)


def hkcu_key(key: str) -> tuple[str, str] | None:
    """`HKCU[\\X]` or `HKEY_CURRENT_USER[\\X]` -> (hive, key with canonical roots); else None."""
    head, sep, tail = key.strip().partition("\\")
    if head.lower() not in _HKCU_ROOTS:
        return None
    relative = HKCU + sep + tail
    root = CLASSES_ROOT.lower()
    lower = relative.lower()
    if lower == root or lower.startswith(root + "\\"):
        return CLASSES, CLASSES_ROOT + relative[len(root) :]
    return USER, relative


def user_key(text: str) -> tuple[str, str] | None:
    """Either spelling (HKCU-relative or a path below HKEY_USERS) -> (hive, key)."""
    return hkcu_key(text) or kernel_key(text)


def looks_like_key(text: str) -> bool:
    """Does the text start with a registry root (of any hive), as a key line would?"""
    lower = text.strip().lower()
    if lower.startswith(("\\registry\\", "registry\\")):
        return True
    head = lower.split("\\", 1)[0].split(None, 1)[0] if lower else ""
    return head in (*_HKCU_ROOTS, "hku", "hkey_users", "hklm", "hkey_local_machine")


def process_name(image: str) -> str:
    """Lower-case file name of an image: NT device path, drive path or bare name."""
    text = image.strip().strip('"').replace("/", "\\")
    return text.rsplit("\\", 1)[-1].strip().lower()


def _strip_prefix(text: str, prefixes: tuple[str, ...]) -> str | None:
    lower = text.lower()
    for prefix in prefixes:
        if lower.startswith(prefix):
            return text[len(prefix) :]
    return None
