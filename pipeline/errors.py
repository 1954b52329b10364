"""The error kinds Hivewatch raises, kept apart as plaso keeps WrongParser apart from ParseError."""

from __future__ import annotations

from pathlib import Path


class HivewatchError(Exception):
    """Base class: an error with a message fit for one line on stderr."""


class UsageError(HivewatchError):
    """Bad input from the user: unknown table, SQL error, bad flag value (exit 2)."""


class WarehouseBusy(HivewatchError):
    """Another process holds the warehouse's write lock."""


class WarehouseDamaged(HivewatchError):
    """A part the catalog lists is missing or unreadable."""


def os_reason(exc: OSError) -> str:
    """Why a write failed, in words that name the obstacle: making a folder where a file
    stands says only "File exists" or "Not a directory"."""
    if isinstance(exc, FileExistsError | NotADirectoryError) and exc.filename:
        target = Path(exc.filename)
        for place in [*reversed(target.parents), target]:
            if place.exists() and not place.is_dir():
                return f"{place} is a file, not a folder"
    return exc.strerror or str(exc)
