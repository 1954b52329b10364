"""The DETAIL of a User Profiles Service 1530: which processes held which keys at unload.

    DETAIL -
     3 user registry handles leaked from \\Registry\\User\\<SID>_Classes:
    Process 6520 (\\Device\\HarddiskVolume2\\Program Files (x86)\\...\\x.exe) has opened key
    \\REGISTRY\\USER\\<SID>_CLASSES

(the Process line is one line in the log). Accepted: the bare detail, the classic single
value with 'DETAIL - ' (hyphen or en dash) before it, or the whole rendered message; CRLF,
LF, or text whose line breaks were collapsed to spaces. The user is the count line's
SID; the lines' SIDs are only stripped (redacted copies show other SIDs there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from pipeline.normalize.leaks import Leak, LeakReport, merge_leaks, problem, read_int
from pipeline.normalize.leaks.keys import is_sid, kernel_key, process_name, split_users_path

_COUNT_MARK: Final = "user registry handle"
_FROM_MARK: Final = "leaked from"
_PROCESS_HEAD: Final = re.compile(r"Process[ \t]+([^\s(]+)[ \t]*\(", re.IGNORECASE)
_OPENED: Final = re.compile(r"\)[ \t]+has[ \t]+opened[ \t]+key(?:[ \t]+|$)", re.IGNORECASE)
# Where a record's fixed text ends; a new record can only start after it (an image path
# may itself contain 'Process 12 (', a key after the separator would not).
_ANCHOR: Final = re.compile(r"has[ \t]+opened[ \t]+key|leaked[ \t]+from", re.IGNORECASE)
_NEXT_RECORD: Final = re.compile(r"\sProcess[ \t]+\d+[ \t]*\(")


class _Count:
    """The count lines seen: their declared handles and the hive owner's SID."""

    def __init__(self) -> None:
        self.seen = False
        self.declared: int | None = None
        self.sid: str | None = None


def parse_detail(text: str) -> LeakReport:
    """Read a 1530 DETAIL (bare, 'DETAIL - ' prefixed, or the rendered message)."""
    count = _Count()
    found: list[Leak] = []
    problems: list[str] = []
    for line_no, segment in _segments_of(text):
        stripped = segment.strip()
        if not stripped:
            continue
        if _is_count_line(stripped):
            problems.extend(_read_count(line_no, stripped, count))
        elif _is_process_line(stripped):
            leak, trouble = _read_process(stripped)
            if leak is not None:
                found.append(leak)
            if trouble is not None:
                problems.append(problem(line_no, trouble, stripped))
        elif count.seen:
            problems.append(problem(line_no, "not a Process line", stripped))
    if not count.seen:
        problems.append("no 'N user registry handles leaked from' count line")
    return LeakReport(count.sid, None, count.declared, merge_leaks(found), tuple(problems))


def _segments_of(text: str) -> Iterator[tuple[int, str]]:
    for line_no, line in enumerate(text.splitlines(), start=1):
        for segment in _split_records(line):
            yield line_no, segment


def _split_records(line: str) -> Iterator[str]:
    """One physical line, split where collapsed line breaks ran several records together."""
    start = 0
    while True:
        anchor = _ANCHOR.search(line, start)
        following = _NEXT_RECORD.search(line, anchor.end()) if anchor else None
        if following is None:
            yield line[start:]
            return
        yield line[start : following.start()]
        start = following.start() + 1


def _is_count_line(line: str) -> bool:
    lower = line.lower()
    mark = lower.find(_COUNT_MARK)
    return mark >= 0 and lower.find(_FROM_MARK, mark) >= 0


def _is_process_line(line: str) -> bool:
    """Does the line look like a leak line, readable or not?"""
    starts = line[:8].lower() in ("process ", "process\t")
    return starts or _OPENED.search(line) is not None


def _read_count(line_no: int, line: str, count: _Count) -> list[str]:
    """Take the declared count and the SID of the hive from a count line."""
    lower = line.lower()
    mark = lower.find(_COUNT_MARK)
    words = line[:mark].split()
    number = words[-1] if words else ""
    hive_words = line[lower.find(_FROM_MARK, mark) + len(_FROM_MARK) :].split()
    hive = hive_words[0].rstrip(":") if hive_words else ""
    troubles: list[str] = []
    if number.isascii() and number.isdigit():
        count.declared = (count.declared or 0) + int(number)
    else:
        troubles.append(problem(line_no, "count line without a number", line))
    split = split_users_path(hive)
    sid = split.sid if split is not None else None
    if sid is None or not is_sid(sid):
        troubles.append(problem(line_no, "count line names no user SID", line))
    elif count.sid is None:
        count.sid = sid
    elif count.sid.lower() != sid.lower():
        troubles.append(problem(line_no, "second count line names another SID", line))
    count.seen = True
    return troubles


def _read_process(line: str) -> tuple[Leak | None, str | None]:
    """One `Process N (<image>) has opened key <path>` line -> (leak, problem)."""
    head = _PROCESS_HEAD.match(line)
    if head is None:
        return None, "no 'Process N (' at the start"
    opened = _OPENED.search(line, head.end())
    if opened is None:
        return None, "no ') has opened key' after the image"
    image = line[head.end() : opened.start()].strip()
    path = line[opened.end() :].strip()
    if not path:
        return None, "no key after 'has opened key'"
    converted = kernel_key(path)
    if converted is None:
        return None, "key is not below \\REGISTRY\\USER"
    hive, key = converted
    pid = read_int(head.group(1))
    leak = Leak(hive, pid, image, process_name(image), key, 1)
    return leak, None if pid is not None else "unreadable process id"
