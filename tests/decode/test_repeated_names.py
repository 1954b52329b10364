"""A template that names two values alike keeps both, whichever engine reads the record.

pyevtx-rs writes such a name twice in its JSON (Security 4648's two `LogonGuid`), and a JSON
parser keeps only the last; the XML path numbers the second `LogonGuid_1`.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pipeline.decode.evtx import read_evtx
from pipeline.records import DecodeStats
from pipeline.synth.evtx_writer import write_evtx
from pipeline.synth.model import KEYWORDS_NONE, EventKind, Field, Record, unix_us_to_filetime
from tests.conftest import EVTX_SAMPLES

T = unix_us_to_filetime(1_709_551_234_567_891)
FIRST = "0F0E0D0C-0B0A-0908-0706-050403020100"
SECOND = "11111111-2222-3333-4444-555555555555"


def _kind(binary: bool) -> EventKind:
    return EventKind(
        "Microsoft-Windows-Security-Auditing",
        4648,
        "Security",
        0,
        (Field("SubjectUserName"), Field("LogonGuid"), Field("TargetUserName"), Field("LogonGuid")),
        provider_guid="{54849625-5478-4994-A5BA-3E3B0328C30D}",
        keywords=KEYWORDS_NONE,
        binary=binary,
    )


def _payloads(path: Path, engine: str) -> list[dict[str, object]]:
    rows = list(read_evtx(path, engine, DecodeStats()))  # type: ignore[arg-type]
    return [orjson.loads(r.event_data) for r in rows if r.event_data]


@pytest.mark.parametrize("binary", [False, True], ids=["named", "named-and-binary"])
@pytest.mark.parametrize("engine", ["rust", "python"])
def test_both_values_of_a_repeated_name_are_kept(tmp_path: Path, engine: str, binary: bool) -> None:
    values: tuple[object, ...] = ("WS-01$", FIRST, "alice", SECOND)
    if binary:
        values += (b"\x01\x02",)
    record = Record(_kind(binary), "WS-01.corp.contoso.com", T, values, record_id=1)
    path = tmp_path / "Security.evtx"
    write_evtx(path, [record])
    (payload,) = _payloads(path, engine)
    expected: dict[str, object] = {
        "SubjectUserName": "WS-01$",
        "LogonGuid": FIRST,
        "TargetUserName": "alice",
        "LogonGuid_1": SECOND,
    }
    if binary:
        expected["Binary"] = "0102"
    assert payload == expected
    assert list(payload) == list(expected)  # each where the template has it


def test_security_4648_sample_keeps_both_logon_guids() -> None:
    path = EVTX_SAMPLES / "Security_with_size_t.evtx"
    rows = list(read_evtx(path, "rust", DecodeStats()))
    logons = [orjson.loads(r.event_data) for r in rows if r.event_id == 4648 and r.event_data]
    assert len(logons) == 92
    assert all({"LogonGuid", "LogonGuid_1"} <= payload.keys() for payload in logons)
