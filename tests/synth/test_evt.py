"""Every .evt of the fleet reads in libevt-python, wrapped and dirty logs included."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime

import pyevt

from pipeline.synth.catalog import USERENV_KINDS
from pipeline.synth.evt_layout import EOF_MARKERS, FILE_HEADER, FLAG_DIRTY, FLAG_WRAPPED
from pipeline.synth.evt_writer import build_evt
from pipeline.synth.model import Record, unix_us_to_filetime


@dataclass(frozen=True)
class Rec:
    identifier: int
    event_identifier: int
    event_type: int
    source_name: str
    computer_name: str
    user_security_identifier: str | None
    strings: list[str]
    creation_time: datetime


def _read(path):
    log = pyevt.file()
    log.open(str(path))
    try:
        records = [
            Rec(
                r.identifier,
                r.event_identifier,
                r.event_type,
                r.source_name,
                r.computer_name,
                r.user_security_identifier,
                list(r.strings),
                r.creation_time,
            )
            for r in (log.get_record(i) for i in range(log.number_of_records))
        ]
        return records, log.number_of_recovered_records
    finally:
        log.close()


def test_every_evt_reads_in_libevt(fleet):
    entries = fleet.files("evt")
    assert len(entries) >= 6
    assert any(e["wrapped"] for e in entries) and any(e["dirty"] for e in entries)
    for entry in entries:
        path = fleet.root / entry["path"]
        records, recovered = _read(path)
        first, last = entry["record_ids"]
        assert [r.identifier for r in records] == list(range(first, last + 1)), entry["path"]
        assert recovered == 0
        for r in records:
            assert r.computer_name in entry["hosts"]
            assert r.source_name
        data = path.read_bytes()
        header = FILE_HEADER.unpack_from(data, 0)
        assert header[1] == b"LfLe"
        assert bool(header[9] & FLAG_WRAPPED) == entry["wrapped"]
        assert bool(header[9] & FLAG_DIRTY) == entry["dirty"]
        eof = header[5]
        assert struct.unpack_from("<5I", data, eof)[1:] == EOF_MARKERS
        if entry["wrapped"]:
            assert header[4] > eof, "the oldest record sits after the newest"


def test_event_identifier_keeps_severity_bits(tmp_path):
    kind = USERENV_KINDS[1517]  # informational message id, logged as a warning
    t = unix_us_to_filetime(1_100_000_000_000_000)
    records = [
        Record(kind, "WS-0042", t + i, ("CONTOSO\\jdoe",), user_sid="S-1-5-18", record_id=10 + i)
        for i in range(3)
    ]
    path = tmp_path / "AppEvent.Evt"
    path.write_bytes(build_evt(records, wrap_after=1))
    got, recovered = _read(path)
    assert recovered == 0
    assert [r.identifier for r in got] == [10, 11, 12]
    r = got[0]
    assert r.event_identifier == 0x400005ED
    assert r.event_type == 2
    assert list(r.strings) == ["CONTOSO\\jdoe"]
    assert r.user_security_identifier == "S-1-5-18"
    assert r.creation_time.year == 2004
