"""Quoting for the few SQL texts Hivewatch builds itself (file lists, identifiers).

User values never go through here: they are bound as named parameters.
"""

from __future__ import annotations

from collections.abc import Iterable


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def literal_list(texts: Iterable[str]) -> str:
    return "[" + ", ".join(literal(t) for t in texts) + "]"


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
