"""python-evtx's substitution values spelled as pyevtx-rs spells them.

python-evtx is the fallback for records pyevtx-rs cannot read, so the same file is often
read by both. Left alone, python-evtx spells several value types its own way, and one
record's `event_data` would then depend on which engine read it: a GUID in braces and
lower case, a hex integer zero-padded (`0x00000000000003e7`), a size_t in decimal, a
boolean as `True` whatever number it holds, binary data in base64, a time as
`2018-07-07 20:49:33.377003+00:00`. It also reads a SYSTEMTIME's milliseconds as
microseconds, and splits a string array on byte patterns, so that an empty string or a
character whose low byte is zero garbles the list (EventLog 6013's
`['', '', '', '', '13', ...]` came out as `['13', '', '13', ...]`).

Each variant type that differs has a small spelling function here (`SPELLINGS`);
`install` puts them in place of python-evtx's own `string` methods. They are installed on
python-evtx's classes because its renderer calls `string()` on nested values too (a
substitution holding a whole BinXML fragment), which no wrapper around a record could
reach. Values stay text, as in an XML export: pyevtx-rs's numbers and booleans read the
same with `->>` in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import Evtx.BinaryParser
import Evtx.Nodes as nodes

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"  # pyevtx-rs: always six fraction digits and a Z


def exact_filetime(filetime: int) -> datetime:
    """FILETIME (100 ns ticks since 1601) to a UTC datetime, truncated to the microsecond.

    python-evtx converts through a float and can land one microsecond off, which would give
    the same record two identities; pyevtx-rs and Windows' XML both truncate exactly. Zero
    is the epoch itself, as pyevtx-rs has it (python-evtx gave year 1)."""
    try:
        return _FILETIME_EPOCH + timedelta(microseconds=filetime // 10)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def _guid(node: Any) -> str:
    return str(node.guid()).upper()


def _hex(node: Any) -> str:
    return hex(int.from_bytes(node.hex(), "little"))


def _size(node: Any) -> str:
    return hex(node.num())


def _boolean(node: Any) -> str:
    """0 and 1 are false and true; any other number is kept, as pyevtx-rs keeps it."""
    value = node.int32()
    return {0: "false", 1: "true"}.get(value, str(value))


def _binary(node: Any) -> str:
    return bytes(node.binary()).hex().upper()


def _filetime(node: Any) -> str:
    return exact_filetime(node.unpack_qword(0)).strftime(_TIME)


def _systemtime(node: Any) -> str:
    """SYSTEMTIME: eight little-endian words (year, month, weekday, day, hour, minute,
    second, millisecond), spelled field by field so that an impossible date still reads."""
    year, month, _, day, hour, minute, second, milli = (node.unpack_word(2 * i) for i in range(8))
    return f"{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli * 1000:06}Z"


def _string_array(node: Any) -> str:
    """UTF-16 strings, each ended by a NUL, as the `<string>` lines `xml_event` splits.

    `<` and `>` inside an item are escaped here so that an item cannot end its line early;
    `xml_event` turns them back."""
    text = bytes(node.binary()).decode("utf-16-le", errors="replace")
    items = text.split("\x00")
    if items and items[-1] == "":
        items.pop()  # the last item's terminator
    return "".join(
        f"<string>{item.replace('<', '&lt;').replace('>', '&gt;')}</string>\n" for item in items
    )


SPELLINGS: dict[Any, Callable[[Any], str]] = {  # python-evtx node class -> spelling
    nodes.GuidTypeNode: _guid,
    nodes.Hex32TypeNode: _hex,
    nodes.Hex64TypeNode: _hex,
    nodes.SizeTypeNode: _size,
    nodes.BooleanTypeNode: _boolean,
    nodes.BinaryTypeNode: _binary,
    nodes.FiletimeTypeNode: _filetime,
    nodes.SystemtimeTypeNode: _systemtime,
    nodes.WstringArrayTypeNode: _string_array,
}


def install() -> None:
    """Make python-evtx spell values as pyevtx-rs does, and read FILETIMEs exactly
    (its `unpack_filetime` looks `parse_filetime` up on every call). Idempotent."""
    Evtx.BinaryParser.parse_filetime = exact_filetime
    for node_type, spelling in SPELLINGS.items():
        node_type.string = spelling
