"""Named queries: the files `queries/NAME.sql`, run with `hivewatch query NAME`.

Each file opens with a comment block; its first line is the description `--list` shows.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import UsageError

_PACKAGED = Path(__file__).resolve().parent.parent / "_queries"  # inside a built wheel
_SOURCE = Path(__file__).resolve().parents[2] / "queries"  # in a checkout


def queries_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE


def available() -> dict[str, Path]:
    """Runnable queries by name; files starting with `stg_` are staging layers, not listed."""
    return {p.stem: p for p in sorted(queries_dir().glob("*.sql")) if not p.stem.startswith("stg_")}


def description(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("--"):
            text = stripped.lstrip("-").strip()
            if text:
                return text
        elif stripped:
            break
    return ""


def load(name: str) -> str:
    found = available().get(name)
    if found is None:
        names = ", ".join(available()) or "none"
        raise UsageError(f"no query named {name!r} (available: {names})")
    return found.read_text(encoding="utf-8")
