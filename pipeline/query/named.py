"""Named queries: the files `queries/NAME.sql`, run with `hivewatch query NAME`.

The files come in two layers, as in dbt's jaffle_shop:

- staging, `stg_*.sql`: one SELECT over one warehouse table that only picks and renames
  columns. Every read-only connection declares them as temporary views named after the file,
  in name order (so one may read an earlier one); they are not listed by `--list`.
- intermediate, `int_*.sql`: a chain of CTEs ending in `final` over the staging views, then
  `select * from final`, for a step several marts share (dbt's intermediate models). Declared
  as temporary views after the staging ones, in name order; not listed either.
- marts, every other file: a chain of CTEs ending in `final` over the staging and
  intermediate views, then `select * from final order by ...`, with named parameters
  (`$name`) only.

Each file opens with a comment block: its first line is the description `--list` shows,
then `-- inputs:`, `-- output:` and `-- parameters:` lines (`none`, or `$name (what it is)`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import UsageError

_PACKAGED = Path(__file__).resolve().parent.parent / "_queries"  # inside a built wheel
_SOURCE = Path(__file__).resolve().parents[2] / "queries"  # in a checkout

STAGING_PREFIX = "stg_"
INTERMEDIATE_PREFIX = "int_"
_VIEW_PREFIXES = (STAGING_PREFIX, INTERMEDIATE_PREFIX)
HEADER_FIELDS = ("inputs", "output", "parameters")
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Header:
    """The opening comment block of a query file."""

    description: str
    fields: dict[str, str]

    @property
    def parameters(self) -> list[str]:
        """The `$name` parameters the `-- parameters:` line declares, in order, once each."""
        found = _PARAMETER.findall(self.fields.get("parameters", ""))
        return list(dict.fromkeys(found))


def queries_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE


def _files() -> list[Path]:
    return sorted(queries_dir().glob("*.sql"))


def available() -> dict[str, Path]:
    """Runnable queries (marts) by name; staging and intermediate files are views, not listed."""
    return {p.stem: p for p in _files() if not p.stem.startswith(_VIEW_PREFIXES)}


def staging() -> dict[str, Path]:
    """The staging, then the intermediate files by view name, in the order their views are
    declared (each layer by name), so that a view may read the staging views and the
    intermediate ones named before it."""
    layers = [[p for p in _files() if p.stem.startswith(prefix)] for prefix in _VIEW_PREFIXES]
    return {p.stem: p for layer in layers for p in layer}


def header(path: Path) -> Header:
    """The leading comment lines of `path`: the description, then `-- field: value` lines."""
    description = ""
    fields: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        text = stripped.lstrip("-").strip()
        field, colon, value = text.partition(":")
        if colon and field.strip().lower() in HEADER_FIELDS:
            fields[field.strip().lower()] = value.strip()
        elif not description and not fields:
            description = text
    return Header(description, fields)


def description(path: Path) -> str:
    return header(path).description


def load(name: str) -> str:
    found = available().get(name)
    if found is None:
        names = ", ".join(available()) or "none"
        raise UsageError(f"no query named {name!r} (available: {names})")
    return found.read_text(encoding="utf-8")
