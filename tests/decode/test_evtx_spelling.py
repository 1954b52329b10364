"""python-evtx's values respelled: the types the shared samples do not hold."""

from __future__ import annotations

import struct

import Evtx.Nodes as nodes

from pipeline.decode import evtx_spelling


def test_a_systemtime_keeps_its_milliseconds() -> None:
    # python-evtx reads the millisecond word as microseconds: 20:49:33.000377.
    words = struct.pack("<8H", 2018, 7, 6, 7, 20, 49, 33, 377)  # weekday 6, day 7
    evtx_spelling.install()
    node = nodes.SystemtimeTypeNode(words, 0, None, None)
    assert node.string() == "2018-07-07T20:49:33.377000Z"


def test_an_impossible_systemtime_is_still_spelled() -> None:
    words = struct.pack("<8H", 2018, 13, 0, 0, 25, 0, 0, 0)
    node = nodes.SystemtimeTypeNode(words, 0, None, None)
    assert evtx_spelling.SPELLINGS[nodes.SystemtimeTypeNode](node) == "2018-13-00T25:00:00.000000Z"


def test_a_zero_filetime_is_the_epoch_as_pyevtx_rs_has_it() -> None:
    assert evtx_spelling.exact_filetime(0).isoformat() == "1601-01-01T00:00:00+00:00"
    # exact to the microsecond: python-evtx's float conversion could land one off
    assert evtx_spelling.exact_filetime(131444325841004519).isoformat() == (
        "2017-07-13T15:16:24.100451+00:00"
    )


def test_a_boolean_holding_another_number_keeps_it() -> None:
    spell = evtx_spelling.SPELLINGS[nodes.BooleanTypeNode]
    spelled = [
        spell(nodes.BooleanTypeNode(struct.pack("<i", v), 0, None, None)) for v in (0, 1, 16)
    ]
    assert spelled == ["false", "true", "16"]


def test_string_arrays_split_on_terminators_not_byte_patterns() -> None:
    items = ["", "A<b>", "\u0100x", ""]  # U+0100's low byte is zero
    binary = "".join(f"{item}\x00" for item in items).encode("utf-16-le")
    node = nodes.WstringArrayTypeNode(binary, 0, None, None, length=len(binary))
    assert evtx_spelling.SPELLINGS[nodes.WstringArrayTypeNode](node) == (
        "<string></string>\n<string>A&lt;b&gt;</string>\n<string>\u0100x</string>\n"
        "<string></string>\n"
    )
