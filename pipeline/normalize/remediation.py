"""Remediation guidance as data: what an admin can do about a class, a process or a key.

The guidance is `remediation.csv`, one row per piece of advice, loaded lazily and checked
row by row (a bad row fails the load, naming its CSV line). The warehouse exposes the same
rows as the `remediation` table (five VARCHAR columns); `advice_for` answers in Python
exactly what the SQL join below answers in DuckDB.

Columns
-------
applies_to  `class`, `process` or `key`
match       class: one of the `unload_incidents` classes (CLASS_PRECEDENCE), compared exactly;
            process: a lower-case process file name (`dllhost.exe`) or a LIKE pattern;
            key: a LIKE pattern over HKCU-relative keys (`HKCU\\Software\\Classes%`).
            LIKE patterns: `%` is any run of characters, `_` any one character, everything
            else literal, compared case-insensitively (ILIKE). There is no escape character:
            a backslash is a literal backslash, written once (`HKCU\\Software`, not doubled),
            and the join says so with `ESCAPE ''`.
os_family   `nt4`, `win2000`, `xp2003`, `vista+`, or empty for every family
advice      one or two plain English sentences an admin can act on, no HTML
reference   the source: a KB number ("KB 837115") or a document name ("domain.md")

The SQL join
------------
A row applies when its subject matches and its family fits::

    (   (r.applies_to = 'class'   AND r.match = <class>)
     OR (r.applies_to = 'process' AND <process_name> ILIKE r.match ESCAPE '')
     OR (r.applies_to = 'key'     AND <key> ILIKE r.match ESCAPE ''))
    AND (<os_family> IS NULL OR coalesce(r.os_family, '') IN ('', <os_family>))

`coalesce` lets the empty family read the same whether stored as '' or NULL. A NULL subject
matches nothing. Where a user reads them:

- an incident's class: `JOIN remediation r ON r.applies_to = 'class' AND r.match = i.class
  AND coalesce(r.os_family, '') IN ('', i.os_family)` (`i` is `unload_incidents`; an
  incident whose os_family is NULL gets only the every-family rows this way, add
  `i.os_family IS NULL OR` to give it all rows as `advice_for(os_family=None)` does);
- an incident's processes / keys: the same over `unnest(i.processes)` / `unnest(i.keys)`,
  with `applies_to = 'process'` / `'key'` and `ILIKE r.match ESCAPE ''`, family as above;
- an offender (`offenders` has no os_family, so no family condition):
  `JOIN remediation r ON (r.applies_to = 'process' AND o.process_name ILIKE r.match
  ESCAPE '') OR (r.applies_to = 'key' AND o.key ILIKE r.match ESCAPE '')`.

`advice_for(event_class=, process_name=, key=, os_family=)` is that condition with the given
values (None for NULL): the rows matching any given subject, in file order; a row matching
several subjects comes once, as one joined row does in SQL.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final, NamedTuple

from pipeline.errors import HivewatchError
from pipeline.normalize.profile_catalog import CLASS_PRECEDENCE, FAMILIES

CSV_NAME: Final = "remediation.csv"
COLUMNS: Final = ("applies_to", "match", "os_family", "advice", "reference")
APPLIES_TO: Final = ("class", "process", "key")
MAX_ADVICE: Final = 600  # characters: two sentences, not an essay

_HTML = re.compile(r"<[A-Za-z/!]|&[A-Za-z]+;|&#[0-9]+;")
_KEY = re.compile(r"HKCU(?:[\\%_].*)?", re.IGNORECASE | re.DOTALL)


class RemediationError(HivewatchError):
    """The remediation file is malformed; the message names the file and line."""


class Remediation(NamedTuple):
    """One piece of advice: the five columns of the `remediation` table."""

    applies_to: str
    match: str
    os_family: str
    advice: str
    reference: str


# ------------------------------------------------------------------------------ matching


@functools.lru_cache(maxsize=256)
def _like_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` as SQL `ILIKE ... ESCAPE ''` reads it: `%` any run, `_` any one character."""
    parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern.lower()]
    return re.compile("".join(parts), re.DOTALL)


def ilike(value: str, pattern: str) -> bool:
    """SQL `value ILIKE pattern ESCAPE ''`: the whole value, case-insensitively."""
    return _like_regex(pattern).fullmatch(value.lower()) is not None


def _subject_matches(
    row: Remediation, event_class: str | None, process_name: str | None, key: str | None
) -> bool:
    if row.applies_to == "class":
        return event_class is not None and row.match == event_class
    if row.applies_to == "process":
        return process_name is not None and ilike(process_name, row.match)
    return key is not None and ilike(key, row.match)


def advice_for(
    *,
    event_class: str | None = None,
    process_name: str | None = None,
    key: str | None = None,
    os_family: str | None = None,
    rows: Iterable[Remediation] | None = None,
) -> list[Remediation]:
    """The rows the SQL join of the module docstring gives for these values, in file order.

    Subjects left None match nothing; `os_family` None keeps rows of every family.
    `rows` defaults to the packaged guidance.
    """
    out: list[Remediation] = []
    for row in remediation_rows() if rows is None else rows:
        if os_family is not None and row.os_family not in ("", os_family):
            continue
        if _subject_matches(row, event_class, process_name, key):
            out.append(row)
    return out


# ------------------------------------------------------------------------------ loading


def _check_match(applies_to: str, match: str) -> None:
    if applies_to == "class":
        if match not in CLASS_PRECEDENCE:
            raise ValueError(f"unknown class {match!r}: want one of {', '.join(CLASS_PRECEDENCE)}")
    elif applies_to == "process":
        if match != match.lower():
            raise ValueError(f"process {match!r} must be lower-case, as hive_leaks.process_name")
        if "\\" in match or "/" in match:
            raise ValueError(f"process {match!r} must be a file name, not a path")
    else:
        if not _KEY.fullmatch(match):
            raise ValueError(f"key {match!r} must be HKCU-relative ('HKCU' or 'HKCU\\...')")
        if "\\\\" in match:
            raise ValueError(
                f"key {match!r} doubles a backslash: LIKE has no escape here, write one '\\'"
            )
        if match.endswith("\\"):
            raise ValueError(f"key {match!r} ends with a backslash; keys never do")


def _row(values: dict[str, str]) -> Remediation:
    """One validated row; ValueError with the reason when it is not."""
    for column, value in values.items():
        if value != value.strip():
            raise ValueError(f"{column} {value!r} has leading or trailing blanks")
    row = Remediation(**values)
    if row.applies_to not in APPLIES_TO:
        raise ValueError(f"applies_to {row.applies_to!r}: want one of {', '.join(APPLIES_TO)}")
    if not row.match:
        raise ValueError("match is empty")
    _check_match(row.applies_to, row.match)
    if row.os_family and row.os_family not in FAMILIES:
        raise ValueError(f"os_family {row.os_family!r}: want empty or one of {', '.join(FAMILIES)}")
    if not row.advice:
        raise ValueError("advice is empty")
    if len(row.advice) > MAX_ADVICE:
        raise ValueError(f"advice is {len(row.advice)} characters, at most {MAX_ADVICE}")
    if _HTML.search(row.advice) or "\n" in row.advice:
        raise ValueError("advice must be plain text on one line (no HTML, no line breaks)")
    if not row.reference:
        raise ValueError("reference is empty")
    if "://" in row.reference:
        raise ValueError(f"reference {row.reference!r}: name the document, no URL")
    return row


def load_remediation(source: Path | Traversable) -> tuple[Remediation, ...]:
    """Read and check a remediation file; RemediationError naming the first bad line."""
    name = source.name
    reader = csv.reader(io.StringIO(source.read_text(encoding="utf-8"), newline=""))
    header = next(reader, None)
    if header is None:
        raise RemediationError(f"{name}: empty file")
    if tuple(header) != COLUMNS:
        raise RemediationError(f"{name} line 1: columns must be {','.join(COLUMNS)}")
    rows: list[Remediation] = []
    seen: dict[Remediation, int] = {}
    while True:
        line = reader.line_num + 1  # where the next record starts
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise RemediationError(f"{name} line {line}: {exc}") from None
        if not values:
            continue
        if len(values) != len(COLUMNS):
            raise RemediationError(f"{name} line {line}: {len(values)} fields, want {len(COLUMNS)}")
        try:
            row = _row(dict(zip(COLUMNS, values, strict=True)))
        except ValueError as exc:
            raise RemediationError(f"{name} line {line}: {exc}") from None
        if row in seen:
            raise RemediationError(f"{name} line {line}: repeats line {seen[row]}")
        seen[row] = line
        rows.append(row)
    if not rows:
        raise RemediationError(f"{name}: no rows")
    return tuple(rows)


@functools.cache
def _packaged() -> tuple[Remediation, ...]:
    return load_remediation(resources.files(__package__ or "pipeline.normalize").joinpath(CSV_NAME))


def remediation_rows() -> list[Remediation]:
    """The packaged guidance, loaded and checked on first use, in file order."""
    return list(_packaged())
