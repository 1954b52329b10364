"""UPHClean's reports (1201 closed, 1211 not closed, 1401 remapped, 1501 report only).

The body (the second insertion string) lists processes and, below each, one line per
open handle:

    rtvscan.exe (1820)
      HKCU (0x2b8)
      HKCU\\Software\\Intel\\LANDesk\\VirusProtect6 (0x2f4) error 5
        0x77dfc200 ADVAPI32!TrackObject+0xe

The first insertion string names the user, `DOMAIN\\user (S-1-5-...)`; `parse_uphclean`
also finds it when the text given holds it (the whole message, or both strings joined).
Lines are classified by content, not by exact indentation, so a renderer that changed
the leading spaces does not hide the keys.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from pipeline.normalize.leaks import Leak, LeakReport, merge_leaks, problem, read_int
from pipeline.normalize.leaks.keys import is_sid, looks_like_key, process_name, user_key

_SID_IN_PARENS: Final = re.compile(r"\((S-1-\d+(?:-\d+)+)\)", re.IGNORECASE)
_FRAME_ADDRESS: Final = re.compile(r"0x[0-9a-f]+(?:\s|$)", re.IGNORECASE)


class _Process(NamedTuple):
    image: str
    pid: int | None


def parse_uphclean(text: str) -> LeakReport:
    """Read a UPHClean body (optionally with its header or whole message around it)."""
    user_name: str | None = None
    user_sid: str | None = None
    current: _Process | None = None
    found: list[Leak] = []
    problems: list[str] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if looks_like_key(line):
            leak, trouble = _read_key(line, current)
            if leak is not None:
                found.append(leak)
            if trouble is not None:
                problems.append(problem(line_no, trouble, line))
        elif _is_frame(raw, line):
            continue
        elif (process := _read_process(line)) is not None:
            current = process
        elif user_sid is None and (user := _find_user(line))[1] is not None:
            user_name, user_sid = user
        elif current is not None:
            problems.append(problem(line_no, "neither a process, a key nor a frame", line))
    return LeakReport(user_sid, user_name, None, merge_leaks(found), tuple(problems))


def parse_uphclean_user(text: str) -> tuple[str | None, str | None]:
    """The header insertion string `DOMAIN\\user (SID)` -> (user name, SID); parts may be None.

    Also takes a bare SID, a bare `DOMAIN\\user`, or a longer text naming `... (SID)`.
    """
    value = text.strip()
    lines = value.splitlines()
    if len(lines) == 1:
        name, inner = _trailing_parenthesis(value)
        if inner is not None and is_sid(inner):
            return name or None, inner
        if is_sid(value):
            return None, value
        if "\\" in name and "(" not in name:
            return name, None
    for line in lines:
        user = _find_user(line)
        if user[1] is not None:
            return user
    return None, None


def _trailing_parenthesis(value: str) -> tuple[str, str | None]:
    """'name (inner)' -> ('name', 'inner'); text not ending in ')' -> (text, None)."""
    opening = value.rfind("(")
    if not value.endswith(")") or opening < 0:
        return value, None
    return value[:opening].strip(), value[opening + 1 : -1].strip()


def _find_user(line: str) -> tuple[str | None, str | None]:
    """`... DOMAIN\\user (SID) ...` inside a line -> (name, SID).

    The name starts at the word holding the last backslash before the SID (domain names
    have no spaces, user names may), or is the last word when there is no backslash.
    """
    match = _SID_IN_PARENS.search(line)
    if match is None:
        return None, None
    before = line[: match.start()].rstrip()
    slash = before.rfind("\\")
    if slash < 0:
        words = before.split()
        return (words[-1] if words else None), match.group(1)
    start = max(before.rfind(" ", 0, slash), before.rfind("\t", 0, slash)) + 1
    return before[start:] or None, match.group(1)


def _is_frame(raw: str, line: str) -> bool:
    """A call-stack frame: `0x77dfc200 ADVAPI32!TrackObject+0xe`, or an indented `mod!fn`."""
    if _FRAME_ADDRESS.match(line):
        return True
    indented = len(raw) - len(raw.lstrip()) > 2
    return indented and "!" in line and " (" not in line


def _read_process(line: str) -> _Process | None:
    """`image.exe (PID)` -> the process; None when the line is not one."""
    if not line.endswith(")"):
        return None
    opening = line.rfind("(")
    pid = read_int(line[opening + 1 : -1]) if opening > 0 else None
    image = line[:opening].strip()
    if pid is None or not image:
        return None
    return _Process(image, pid)


def _read_key(line: str, owner: _Process | None) -> tuple[Leak | None, str | None]:
    """`HKCU[\\X] (0xHANDLE)[ error N]` -> (leak of one handle, problem)."""
    if owner is None:
        return None, "key line before any process line"
    converted = user_key(_key_text(line))
    if converted is None:
        return None, "key is not in the user's hives"
    hive, key = converted
    return Leak(hive, owner.pid, owner.image, process_name(owner.image), key, 1), None


def _key_text(line: str) -> str:
    """The key of a key line: without a trailing `error N` and `(0xHANDLE)`.

    A parenthesis that holds no number belongs to the key name ('... (x86)').
    """
    words = line.rsplit(None, 2)
    if len(words) == 3 and words[1].lower() == "error" and read_int(words[2]) is not None:
        line = words[0]
    if line.endswith(")"):
        opening = line.rfind("(")
        if opening > 0 and read_int(line[opening + 1 : -1]) is not None:
            return line[:opening].rstrip()
    return line
