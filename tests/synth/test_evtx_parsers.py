"""Every .evtx of the fleet reads, without error and to the same record ids, in the three
public parsers: pyevtx-rs, python-evtx (header and chunk CRCs verified) and libevtx."""

from __future__ import annotations

import evtx as pyevtx_rs
import Evtx.Evtx as python_evtx
import pyevtx
import pytest


def _rs_ids(path):
    return [r["event_record_id"] for r in pyevtx_rs.PyEvtxParser(str(path)).records_json()]


def _python_evtx_ids(path):
    ids = []
    with python_evtx.Evtx(str(path)) as log:
        header = log.get_file_header()
        assert header.verify(), "file header CRC or version"
        assert not header.is_dirty()
        chunks = list(header.chunks())
        assert len(chunks) == header.chunk_count()
        for chunk in chunks:
            assert chunk.verify(), f"chunk CRCs at {chunk.offset()}"
            for record in chunk.records():
                record.xml()  # renders every template and substitution
                ids.append(record.record_num())
    return ids


def _libevtx_ids(path):
    log = pyevtx.file()
    log.open(str(path))
    try:
        assert log.number_of_recovered_records == 0
        return [
            (r.identifier, r.get_xml_string())[0]
            for r in (log.get_record(i) for i in range(log.number_of_records))
        ]
    finally:
        log.close()


def test_fleet_has_evtx(fleet):
    assert len(fleet.files("evtx")) >= 10


def test_every_evtx_reads_the_same_in_three_parsers(fleet):
    for entry in fleet.files("evtx"):
        path = fleet.root / entry["path"]
        rs, py, lib = _rs_ids(path), _python_evtx_ids(path), _libevtx_ids(path)
        assert rs == py == lib, entry["path"]
        assert len(rs) == entry["records"], entry["path"]
        assert rs == list(range(rs[0], rs[0] + len(rs))), "record ids are consecutive"


@pytest.mark.parametrize("kind", ["truncated", "flipped", "stale_header"])
def test_damaged_evtx_copies_are_damaged(fleet, kind):
    entry = next(f for f in fleet.files("evtx", damaged=True) if f["damage"]["kind"] == kind)
    path = fleet.root / entry["path"]
    assert 0 < entry["damage"]["records_intact"] <= entry["records"]
    if kind == "stale_header":
        with python_evtx.Evtx(str(path)) as log:
            header = log.get_file_header()
            assert header.verify() and header.is_dirty()
            assert len(list(header.chunks())) == entry["chunks"] - 1
            assert len(list(header.chunks(include_inactive=True))) == entry["chunks"]
        assert len(_rs_ids(path)) == entry["records"]
    elif kind == "flipped":
        with python_evtx.Evtx(str(path)) as log:
            assert not all(c.verify() for c in log.get_file_header().chunks())
    else:
        assert path.stat().st_size < (fleet.root / entry["damage"]["source"]).stat().st_size
