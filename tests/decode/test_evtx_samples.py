"""Every shared sample is read at least as far as the best public parsers read it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import orjson
import pytest
from polars.testing import assert_frame_equal

from pipeline.decode.evtx import read_evtx
from pipeline.records import DecodeStats, EventRow
from pipeline.store.frame import frame
from tests.conftest import EVTX_SAMPLES, ROOT, sample_floors

FLOORS = sample_floors()


def read(path: Path, engine: str = "auto") -> tuple[list[EventRow], DecodeStats]:
    stats = DecodeStats()
    rows = list(read_evtx(path, engine, stats))  # type: ignore[arg-type]
    return rows, stats


def test_the_floor_table_covers_every_sample() -> None:
    on_disk = {p.name for p in EVTX_SAMPLES.glob("*.evtx")}
    assert on_disk and set(FLOORS) == on_disk


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_sample_read_to_its_floor(name: str) -> None:
    rows, stats = read(EVTX_SAMPLES / name)
    assert len({r.record_id for r in rows}) >= FLOORS[name]
    assert len(stats.problems) >= stats.skipped > 0 or stats.skipped == 0


def test_records_pyevtx_rs_fails_on_are_recovered_by_python_evtx() -> None:
    # pyevtx-rs stops on these two records (bad substitution data); python-evtx keeps them.
    name = "2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx"
    rows, stats = read(EVTX_SAMPLES / name)
    ids = {r.record_id for r in rows}
    assert {6335011, 6914519} <= ids
    assert stats.recovered > 0
    rust_rows, rust_stats = read(EVTX_SAMPLES / name, "rust")
    assert not {6335011, 6914519} & {r.record_id for r in rust_rows}
    assert rust_stats.recovered == 0 and rust_stats.skipped > 0


def test_records_after_a_zero_size_record_are_resynchronised() -> None:
    # Record 3 declares size 0; every parser of the README stops the chunk there.
    rows, stats = read(EVTX_SAMPLES / "sample-with-zero-data-size-event.evtx")
    ids = {r.record_id for r in rows}
    assert set(range(4, 118)) <= ids  # the rest of chunk 0 (records 1-117 by its header)
    assert stats.skipped == 1 and "chunk 0" in stats.problems[0]


def test_bad_chunk_magic_is_counted_not_silent() -> None:
    rows, stats = read(EVTX_SAMPLES / "sample_with_a_bad_chunk_magic.evtx")
    assert len({r.record_id for r in rows}) >= FLOORS["sample_with_a_bad_chunk_magic.evtx"]
    assert any("chunk 6: no chunk signature" in p for p in stats.problems)
    assert any("chunk 10: no chunk signature" in p for p in stats.problems)


def test_stale_header_chunk_count_hides_nothing_from_python_engine() -> None:
    # system.evtx's header says 3 chunks; python-evtx following it finds 326 of 1881 records.
    rows, stats = read(EVTX_SAMPLES / "system.evtx", "python")
    assert len({r.record_id for r in rows}) == 1881
    assert stats.skipped == 0


def test_engines_agree_on_the_system_fields() -> None:
    fields = ["host", "channel", "provider", "event_id", "qualifiers", "level", "time_created"]
    fields += ["record_id", "process_id", "thread_id", "user_sid"]
    rust, _ = read(EVTX_SAMPLES / "pyevtx-system.evtx", "rust")
    python, _ = read(EVTX_SAMPLES / "pyevtx-system.evtx", "python")
    assert len(rust) == len(python) == 1601
    typed_rust = frame(rust, "evtx", "f").select(fields).sort("record_id")
    typed_python = frame(python, "evtx", "f").select(fields).sort("record_id")
    assert_frame_equal(typed_rust, typed_python)


# Samples whose records hold each kind of value python-evtx spelled its own way: GUIDs,
# times, hex integers, binary data, string arrays with empty strings (EventLog 6013) and
# namespaces under UserData (system.evtx); size_t handles and a Data name given twice
# (Security_with_size_t.evtx); booleans (LiveId). With the number of records both read.
AGREEING = {
    "system.evtx": 1881,
    "Security_with_size_t.evtx": 636,
    "2-system-Microsoft-Windows-LiveId%4Operational.evtx": 399,
}


@functools.cache
def payloads(name: str, engine: str) -> dict[int, Any]:
    rows, _ = read(EVTX_SAMPLES / name, engine)
    return {r.record_id: orjson.loads(r.event_data) if r.event_data else None for r in rows}


def as_text(value: Any) -> Any:
    """pyevtx-rs's typed JSON values as the text an XML rendering holds (what `->>` reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("name", sorted(AGREEING))
def test_engines_agree_on_every_value(name: str) -> None:
    """A record's `event_data` does not depend on which engine read it."""
    rust, python = payloads(name, "rust"), payloads(name, "python")
    both = sorted(rust.keys() & python.keys())
    assert len(both) == AGREEING[name]
    differ = [n for n in both if as_text(rust[n]) != python[n]]
    assert differ == []


def test_python_evtx_values_are_spelled_as_pyevtx_rs_spells_them() -> None:
    system = payloads("system.evtx", "python")
    assert system[45]["AccountName"] == ""  # an empty value
    assert system[2] == {
        "strings": [""],
        "Binary": "E107070003000C00110010001C00D6000000000000000000",  # hex, not base64
    }
    assert system[177]["strings"] == ["", "", "", "", "14", "60", "480 Pacific Standard Time"]
    assert system[217]["NewTime"] == "2017-07-12T17:18:24.100451Z"
    assert system[385]["updateGuid"] == "B13B6E94-6EEC-42BF-ACA5-40D289FD74B7"
    assert system[46]["UserData"]["UMDFReflectorDependencyMissing"]["#attributes"] == {
        "xmlns": "http://www.microsoft.com/DriverFrameworks/UserMode/Event"
    }
    security = payloads("Security_with_size_t.evtx", "python")
    assert security[156]["HandleId"] == "0x738c"  # size_t, in hex
    assert security[2]["SubjectLogonId"] == "0x0"  # not zero-padded
    live_id = payloads("2-system-Microsoft-Windows-LiveId%4Operational.evtx", "python")
    assert live_id[2033]["HasFlowUrl"] == "false"


def test_engines_keep_the_same_line_breaks_in_values() -> None:
    # A 1530 DETAIL is CR LF separated; an XML parser would read python-evtx's raw CR LF as LF.
    path = ROOT / "fixtures" / "RDS-8612.corp.contoso.com" / "Application.evtx"
    rust, _ = read(path, "rust")
    python, _ = read(path, "python")
    details = {
        engine: {
            r.record_id: orjson.loads(r.event_data)["Detail"]
            for r in rows
            if r.event_data and '"Detail"' in r.event_data
        }
        for engine, rows in (("rust", rust), ("python", python))
    }
    assert details["rust"] and all("\r\n" in text for text in details["rust"].values())
    assert details["python"] == details["rust"]


def test_classic_and_named_payloads() -> None:
    rows, _ = read(EVTX_SAMPLES / "2-vss_7-System.evtx")
    by_id = {r.record_id: r for r in rows}
    classic = by_id[2]
    assert classic.event_id == 6009 and classic.qualifiers == 32768
    assert classic.event_data == '{"strings":["10.00.","17134","","Multiprocessor Free","0"]}'
    named = by_id[5]
    # typed substitutions keep their JSON type
    assert named.event_data == (
        '{"LastShutdownGood":false,"LastBootGood":true,"LastBootId":0,"BootStatusPolicy":1}'
    )
    assert named.user_sid == "S-1-5-18" and named.process_id == 4


def test_user_data_is_kept() -> None:
    name = "2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx"
    rows, _ = read(EVTX_SAMPLES / name)
    row = next(r for r in rows if r.record_id == 462823)
    assert (
        row.event_data
        == '{"UserData":{"EventXML":{"#attributes":{"xmlns":"Event_NS"},"listenerName":"RDP-Tcp"}}}'
    )
