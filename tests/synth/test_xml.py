"""Every XML export of the fleet parses in lxml, events in the event schema namespace."""

from __future__ import annotations

import re

from lxml import etree

from pipeline.synth.evtx_templates import EVENT_NAMESPACE

NS = {"e": EVENT_NAMESPACE}


def _events(path, shape):
    data = path.read_bytes()
    if shape == "wevtutil":
        assert not data.startswith(b"<?xml"), "wevtutil prints no declaration and no root"
        root = etree.fromstring(b"<Events>" + data + b"</Events>")
    else:
        assert data.startswith(b'<?xml version="1.0" encoding="utf-8"')
        root = etree.fromstring(data)
        assert root.tag == "Events"
    return data, root.findall("e:Event", NS)


def test_every_xml_export_parses(fleet):
    entries = fleet.files("xml")
    assert {e["shape"] for e in entries} == {"wevtutil", "eventviewer"}
    for entry in entries:
        data, events = _events(fleet.root / entry["path"], entry["shape"])
        assert len(events) == entry["records"], entry["path"]
        times = re.findall(rb"SystemTime=.(\d{4}-[^'\"]+)", data)
        assert times and all(
            re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", t) for t in times
        )
        ids = [int(e.findtext("e:System/e:EventRecordID", namespaces=NS)) for e in events]
        assert ids == sorted(ids)
        if entry["shape"] == "eventviewer":
            assert all(e.find("e:RenderingInfo/e:Message", NS) is not None for e in events)


def test_line_breaks_are_character_references(fleet):
    bodies = b"".join((fleet.root / e["path"]).read_bytes() for e in fleet.files("xml"))
    assert b"&#13;&#10;" in bodies
    assert b"\r\n  HKCU" not in bodies  # UPHClean bodies keep their breaks escaped


def test_overlapping_exports_share_records(fleet):
    split = [e for e in fleet.files("xml") if e.get("overlaps")]
    assert len(split) == 2
    first, second = split
    assert first["record_ids"][1] >= second["record_ids"][0]
