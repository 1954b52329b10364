"""Decoders: one module per format, each yielding plain `EventRow`s and filling `DecodeStats`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.decode.evt import read_evt
from pipeline.decode.evtx import Engine, read_evtx
from pipeline.decode.xml import read_xml
from pipeline.records import DecodeStats, EventRow

Decoder = Callable[[Path, Engine, DecodeStats], Iterator[EventRow]]

DECODERS: dict[str, Decoder] = {"evtx": read_evtx, "evt": read_evt, "xml": read_xml}
