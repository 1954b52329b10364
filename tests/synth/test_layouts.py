"""Every on-disk structure is declared once, with the size its specification gives."""

from __future__ import annotations

import pytest

from pipeline.synth import evt_layout as evt
from pipeline.synth import evtx_layout as evtx


@pytest.mark.parametrize(
    ("struct", "size"),
    [
        (evtx.FILE_HEADER, 128),
        (evtx.CHUNK_HEADER, 128),
        (evtx.STRING_TABLE, 256),
        (evtx.TEMPLATE_TABLE, 128),
        (evtx.RECORD_HEADER, 24),
        (evtx.RECORD_TRAILER, 4),
        (evtx.FRAGMENT_HEADER, 4),
        (evtx.TEMPLATE_INSTANCE, 10),
        (evtx.TEMPLATE_DEFINITION, 24),
        (evtx.NAME_HEADER, 8),
        (evtx.ELEMENT_START, 11),
        (evtx.ATTRIBUTE_START, 5),
        (evtx.VALUE_TEXT, 4),
        (evtx.SUBSTITUTION, 4),
        (evt.FILE_HEADER, 48),
        (evt.RECORD_FIXED, 56),
        (evt.EOF_RECORD, 40),
    ],
)
def test_struct_sizes(struct, size):
    assert struct.size == size


def test_tables_fill_the_chunk_header():
    assert evtx.STRING_TABLE_OFFSET + evtx.STRING_TABLE.size == evtx.TEMPLATE_TABLE_OFFSET
    assert evtx.TEMPLATE_TABLE_OFFSET + evtx.TEMPLATE_TABLE.size == evtx.CHUNK_HEADER_SIZE
