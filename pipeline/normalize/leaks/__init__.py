"""The leaked registry handles named by a 1530 DETAIL, a UPHClean report or a 1545/1552 lock.

Each parser (`detail.parse_detail`, `uphclean.parse_uphclean`, `lock.parse_lock`) returns a
`LeakReport`: one `Leak` per (process, key) with the handles of identical lines summed, in
the order the text names them, plus `problems` naming text it could not read. The parsers
never raise on odd text: damage becomes a counted problem, not an exception or silence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Final, NamedTuple

__all__ = [
    "MAX_SNIPPET",
    "Leak",
    "LeakReport",
    "key_spellings",
    "merge_leaks",
    "problem",
    "read_int",
]

MAX_SNIPPET: Final = 200  # characters of an unreadable line kept in a problem


class Leak(NamedTuple):
    """One process holding `handles` handles to one key of the user's hives."""

    hive: str  # 'user' | 'classes'
    process_id: int | None
    process_image: str  # as logged: NT device path (1530), file name (UPHClean), path (1545)
    process_name: str  # lower-case file name of the image, e.g. 'svchost.exe'
    key: str  # HKCU-relative: 'HKCU', 'HKCU\\Software\\...', 'HKCU\\Software\\Classes\\...'
    handles: int


class LeakReport(NamedTuple):
    """What one event's text says about who held the hive."""

    user_sid: str | None
    user_name: str | None  # 'DOMAIN\\user' when the text names one (UPHClean header)
    declared_handles: int | None  # the 1530 count line's number; None elsewhere
    leaks: tuple[Leak, ...]
    problems: tuple[str, ...]


def merge_leaks(leaks: Iterable[Leak]) -> tuple[Leak, ...]:
    """Sum the handles of leaks naming the same process and key, keeping first-seen order.

    Registry keys and Windows file names are case-insensitive, so 'SOFTWARE' and
    'Software' lines of one process are one key; the first spelling seen is kept.
    """
    merged: dict[tuple[int | None, str, str], Leak] = {}
    for leak in leaks:
        ident = (leak.process_id, leak.process_image.lower(), leak.key.lower())
        seen = merged.get(ident)
        merged[ident] = leak if seen is None else seen._replace(handles=seen.handles + leak.handles)
    return tuple(merged.values())


def key_spellings(keys: Iterable[str]) -> list[str]:
    """One entry per key, comparing case-insensitively, in the spelling most of `keys` use
    (ties: the smallest), sorted case-insensitively."""
    counts = Counter(keys)
    best: dict[str, str] = {}
    for key in sorted(counts, key=lambda k: (-counts[k], k)):
        best.setdefault(key.lower(), key)
    return [best[lower] for lower in sorted(best)]


def problem(line_no: int, reason: str, text: str) -> str:
    """A problem naming the line: 'line 3: <reason>: <the line, shortened>'."""
    snippet = text.strip()
    if len(snippet) > MAX_SNIPPET:
        snippet = snippet[:MAX_SNIPPET] + "..."
    return f"line {line_no}: {reason}: {snippet}"


def read_int(text: str) -> int | None:
    """A decimal or 0x-hexadecimal non-negative number, or None."""
    value = text.strip()
    if value.isascii() and value.isdigit():
        return int(value)
    if value[:2].lower() == "0x" and len(value) > 2 and _is_hex(value[2:]):
        return int(value[2:], 16)
    return None


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)
