"""The error kinds Hivewatch raises, kept apart as plaso keeps WrongParser apart from ParseError."""

from __future__ import annotations


class HivewatchError(Exception):
    """Base class: an error with a message fit for one line on stderr."""


class UsageError(HivewatchError):
    """Bad input from the user: unknown table, SQL error, bad flag value (exit 2)."""


class WarehouseBusy(HivewatchError):
    """Another process holds the warehouse's write lock."""
