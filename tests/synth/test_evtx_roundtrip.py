"""Values written by the EVTX writer come back unchanged through pyevtx-rs."""

from __future__ import annotations

import json

import evtx as pyevtx_rs

from pipeline.synth.binxml import VT
from pipeline.synth.evtx_writer import write_evtx
from pipeline.synth.model import (
    KEYWORDS_CLASSIC,
    KEYWORDS_NONE,
    Q_WARNING,
    EventKind,
    Field,
    Record,
    iso_time,
    unix_us_to_filetime,
)

T = unix_us_to_filetime(1_709_551_234_567_891)  # 2024-03-04T11:20:34.567891Z
SID = "S-1-5-21-1004336348-1177238915-682003330-1105"
GUID = "{89B1E9F0-5AFF-44A6-9B44-0A07A7CE5845}"
TEXT = (
    "Process 6520 (\\Device\\HarddiskVolume2\\Program Files (x86)\\Ärende \u2013 日本.exe)"
    "\r\nnext 😀"
)

MANIFEST = EventKind(
    "Microsoft-Windows-Test-Provider",
    4242,
    "Application",
    3,
    (
        Field("Text"),
        Field("U8", VT.UINT8),
        Field("U16", VT.UINT16),
        Field("U32", VT.UINT32),
        Field("U64", VT.UINT64),
        Field("I32", VT.INT32),
        Field("H32", VT.HEX32),
        Field("H64", VT.HEX64),
        Field("When", VT.FILETIME),
        Field("WhenSys", VT.SYSTEMTIME),
        Field("Sid", VT.SID),
        Field("Id", VT.GUID),
        Field("Blob", VT.BINARY),
        Field("Absent", VT.STRING),
    ),
    provider_guid="{11111111-2222-3333-4444-555555555555}",
    version=2,
    task=7,
    opcode=1,
    keywords=KEYWORDS_NONE,
    eventdata_name="EVENT_TEST",
)
CLASSIC = EventKind(
    "Userenv",
    1517,
    "Application",
    3,
    (Field(None), Field(None)),
    qualifiers=Q_WARNING,
    keywords=KEYWORDS_CLASSIC,
    binary=True,
)

VALUES = (
    TEXT,
    255,
    65535,
    4_000_000_000,
    2**64 - 2,
    -5,
    0xDEADBEEF,
    0x8000000000000001,
    T,
    T,
    SID,
    GUID,
    b"\x00\x01\xfe\xff",
    None,
)


def _read(tmp_path, records):
    path = tmp_path / "roundtrip.evtx"
    write_evtx(path, records)
    return [
        json.loads(r["data"])["Event"] for r in pyevtx_rs.PyEvtxParser(str(path)).records_json()
    ]


def test_manifest_event_round_trips(tmp_path):
    record = Record(
        MANIFEST,
        "WS-0142.corp.contoso.com",
        T,
        VALUES,
        1028,
        4711,
        SID,
        "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}",
        record_id=77,
    )
    (event,) = _read(tmp_path, [record])
    system, data = event["System"], event["EventData"]
    assert system["Provider"]["#attributes"] == {
        "Name": "Microsoft-Windows-Test-Provider",
        "Guid": "{11111111-2222-3333-4444-555555555555}",
    }
    assert system["EventID"] == 4242  # no Qualifiers attribute on a manifest event
    assert (system["Version"], system["Level"], system["Task"], system["Opcode"]) == (2, 3, 7, 1)
    assert system["Keywords"] == "0x8000000000000000"
    assert system["TimeCreated"]["#attributes"]["SystemTime"] == "2024-03-04T11:20:34.567891Z"
    assert system["EventRecordID"] == 77
    assert system["Correlation"]["#attributes"] == {
        "ActivityID": "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"
    }
    assert system["Execution"]["#attributes"] == {"ProcessID": 1028, "ThreadID": 4711}
    assert system["Channel"] == "Application"
    assert system["Computer"] == "WS-0142.corp.contoso.com"
    assert system["Security"]["#attributes"]["UserID"] == SID
    assert event["EventData"]["#attributes"] == {"Name": "EVENT_TEST"}
    assert data["Text"] == TEXT
    assert (data["U8"], data["U16"], data["U32"], data["U64"], data["I32"]) == VALUES[1:6]
    assert data["H32"] == "0xdeadbeef"
    assert data["H64"] == "0x8000000000000001"
    assert data["When"] == iso_time(T, 6)
    assert data["WhenSys"] == "2024-03-04T11:20:34.567000Z"  # SYSTEMTIME keeps milliseconds
    assert data["Sid"] == SID
    assert data["Id"] == GUID.strip("{}")
    assert data["Blob"] == "0001FEFF"
    assert data.get("Absent") in (None, "")  # a NULL optional value renders empty


def test_classic_event_round_trips(tmp_path):
    record = Record(CLASSIC, "WS-0042", T, ("CONTOSO\\åsa", "second", b"\x01\x02"), record_id=5)
    (event,) = _read(tmp_path, [record])
    system = event["System"]
    assert system["Provider"]["#attributes"] == {"Name": "Userenv"}
    assert system["EventID"] == {"#attributes": {"Qualifiers": Q_WARNING}, "#text": 1517}
    assert system["Keywords"] == "0x80000000000000"
    assert system["Security"] is None
    assert event["EventData"]["Data"]["#text"] == ["CONTOSO\\åsa", "second"]
    assert event["EventData"]["Binary"] == "0102"
