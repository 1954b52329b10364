"""Legacy .evt logs: the shared samples, the fleet's logs, and copies damaged here on purpose."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import duckdb
import pyevt
import pytest

from pipeline.decode.evt import channel_of, read_evt
from pipeline.records import DecodeStats, EventRow
from pipeline.store.catalog import CATALOG
from tests.conftest import ROOT, SAMPLES, run_ingest

EVT_SAMPLES = SAMPLES / "evt"
FLEET_LOG = ROOT / "fixtures" / "WS-0936" / "AppEvent.Evt"  # 177 records, 10991-11167

SAMPLE_RECORDS = [
    (1, 1, 0, 4, "2021-07-21T02:40:16Z", "Test log entry, information"),
    (2, 2, 0, 2, "2021-07-21T02:40:46Z", "Test log entry, error"),
    (3, 3, 0, 3, "2021-07-21T02:41:00Z", "Test log entry, warning"),
    (4, 0xFFFE, 0, 0, "2021-07-21T03:11:38Z", "Test log entry, failure audit"),
    (5, 5, 0, 0, "2021-07-21T03:16:51Z", "Test log entry, success audit"),
]


def read(path: Path) -> tuple[list[EventRow], DecodeStats]:
    stats = DecodeStats()
    return list(read_evt(path, "auto", stats)), stats


def record_offsets(data: bytes) -> list[int]:
    """Where each record of an intact, unwrapped log starts, walked from the raw bytes."""
    offsets, position = [], 48
    while data[position + 4 : position + 8] == b"LfLe":
        offsets.append(position)
        position += struct.unpack_from("<I", data, position)[0]
    return offsets


@pytest.mark.parametrize("name", ["TestLog.evt", "TestLog-dirty.evt"])
def test_shared_samples_hold_five_records(name: str) -> None:
    rows, stats = read(EVT_SAMPLES / name)
    got = [
        (r.record_id, r.event_id, r.qualifiers, r.level, r.time_created, r.event_data) for r in rows
    ]
    assert [g[:5] for g in got] == [s[:5] for s in SAMPLE_RECORDS]
    assert [json.loads(str(g[5]))["strings"] for g in got] == [[s[5]] for s in SAMPLE_RECORDS]
    assert {(r.host, r.channel, r.provider) for r in rows} == {
        ("POPSICKL-79ADD4", "TestLog", "TestApp")
    }
    assert stats.skipped == 0 and not stats.problems


def test_binary_data_is_kept_as_hex() -> None:
    rows, _ = read(EVT_SAMPLES / "TestLog.evt")
    assert '"Binary":"' + "Test Binary Data 2".encode("utf-16-le").hex().upper() + '"' in str(
        rows[4].event_data
    )
    assert "Binary" not in str(rows[0].event_data)


def test_binary_data_is_read_where_the_record_declares_it() -> None:
    """At DataOffset, DataLength bytes (EVENTLOGRECORD offsets 52 and 48). libevt reads it
    from where the strings end, which is two bytes early in some of these records."""
    data = (ROOT / "fixtures" / "WS-1691" / "SysEvent.Evt").read_bytes()
    declared = {}
    for offset in record_offsets(data):
        number = struct.unpack_from("<I", data, offset + 8)[0]
        length, at = struct.unpack_from("<II", data, offset + 48)
        declared[number] = data[offset + at : offset + at + length].hex().upper() or None
    rows, _ = read(ROOT / "fixtures" / "WS-1691" / "SysEvent.Evt")
    got = {r.record_id: json.loads(str(r.event_data)).get("Binary") for r in rows}
    assert got == declared and sum(value is not None for value in got.values()) >= 10
    assert any(libevt_data(data, n) != declared[n] for n in declared), "libevt agrees"


def libevt_data(data: bytes, number: int) -> str | None:
    """The binary data libevt-python itself gives record `number`, as hex."""
    log = pyevt.file()
    log.open_file_object(io.BytesIO(data))
    try:
        for index in range(log.number_of_records):
            record = log.get_record(index)
            if record.identifier == number:
                try:
                    return bytes(record.data).hex().upper() or None
                except OSError:  # no data
                    return None
        return None
    finally:
        log.close()


def test_dirty_copy_counts_the_records_beyond_its_stale_header() -> None:
    """TestLog-dirty's header still says the log is empty; its end-of-file record does not."""
    assert read(EVT_SAMPLES / "TestLog.evt")[1].recovered == 0
    assert read(EVT_SAMPLES / "TestLog-dirty.evt")[1].recovered == 5


def test_the_two_samples_are_five_rows_not_ten(tmp_path: Path) -> None:
    run_ingest([EVT_SAMPLES], tmp_path / "wh")
    with duckdb.connect(str(tmp_path / "wh" / CATALOG), read_only=True) as con:
        rows = con.execute(
            "select host, channel, record_id, time_created::varchar, source_format from events"
            " order by record_id"
        ).fetchall()
        ledger = con.execute(
            "select status, records, recovered from ingest_files order by path"
        ).fetchall()
    assert rows == [
        ("POPSICKL-79ADD4", "TestLog", n, t.replace("T", " ").rstrip("Z"), "evt")
        for n, _, _, _, t, _ in SAMPLE_RECORDS
    ]
    assert ledger == [("ok", 5, 5), ("ok", 5, 0)]  # TestLog-dirty.evt sorts first


def test_event_identifier_splits_into_id_and_qualifiers() -> None:
    rows, _ = read(ROOT / "fixtures" / "WS-9662" / "AppEvent.Evt")
    userenv = {(r.event_id, r.qualifiers) for r in rows if r.provider == "Userenv"}
    assert (1000, 0xC000) in userenv  # 0xC00003E8: an error-severity message id
    assert all(0 <= e <= 0xFFFF and q in (0, 0x4000, 0x8000, 0xC000) for e, q in userenv)


def test_stale_dirty_header_records_are_recovered(tmp_path: Path) -> None:
    data = bytearray(FLEET_LOG.read_bytes())
    offsets = record_offsets(bytes(data))
    first = struct.unpack_from("<I", data, 28)[0]
    struct.pack_into("<I", data, 20, offsets[100])  # end of log as it was 77 records ago
    struct.pack_into("<I", data, 24, first + 100)  # next record number, ditto
    struct.pack_into("<I", data, 36, 1)  # dirty
    path = tmp_path / "AppEvent.Evt"
    path.write_bytes(bytes(data))
    rows, stats = read(path)
    assert len(rows) == 177 and (stats.recovered, stats.skipped) == (77, 0)


def test_truncated_log_keeps_whole_records_and_counts_the_rest(tmp_path: Path) -> None:
    data = FLEET_LOG.read_bytes()
    offsets = record_offsets(data)
    path = tmp_path / "AppEvent.Evt"
    path.write_bytes(data[: offsets[120] + 30])  # cut inside the 121st record
    rows, stats = read(path)
    assert [r.record_id for r in rows] == list(range(10991, 10991 + 120))
    assert stats.skipped == 57 and "10991" not in stats.problems[0]


@pytest.mark.parametrize(
    ("damage", "lost"),
    [
        ("signature", 1),
        ("size", 1),
        ("strings offset", 1),
        ("two records zeroed", 2),
    ],
)
def test_damaged_record_costs_itself_only(tmp_path: Path, damage: str, lost: int) -> None:
    """libevt stops at the first bad record; the records behind it are still read."""
    data = bytearray(FLEET_LOG.read_bytes())
    offsets = record_offsets(bytes(data))
    bad = offsets[50]
    if damage == "signature":
        data[bad + 4 : bad + 8] = b"XXXX"
    elif damage == "size":
        struct.pack_into("<I", data, bad, 0xFFFF)
    elif damage == "strings offset":
        struct.pack_into("<I", data, bad + 36, 0xFFFFF)
    else:
        data[bad : offsets[52]] = bytes(offsets[52] - bad)
    path = tmp_path / "AppEvent.Evt"
    path.write_bytes(bytes(data))
    rows, stats = read(path)
    ids = [r.record_id for r in rows]
    assert len(ids) == len(set(ids)) == 177 - lost
    assert set(range(10991, 10991 + 177)) - set(ids) == set(range(11041, 11041 + lost))
    assert stats.skipped == lost and stats.recovered == 126 - lost + 1
    assert "11041" in stats.problems[0]


def test_random_bytes_after_the_header_yield_nothing_and_say_so(tmp_path: Path) -> None:
    data = FLEET_LOG.read_bytes()
    path = tmp_path / "AppEvent.Evt"
    path.write_bytes(data[:48] + bytes(range(256)) * 40)
    rows, stats = read(path)
    assert rows == [] and stats.skipped == 177


def test_a_destroyed_header_costs_no_record(tmp_path: Path) -> None:
    """libevt refuses a log whose header is zeroed; every record is still framed in it."""
    intact, _ = read(FLEET_LOG)
    path = tmp_path / "AppEvent.Evt"
    path.write_bytes(bytes(48) + FLEET_LOG.read_bytes()[48:])
    summary = run_ingest([path], tmp_path / "wh")
    assert (summary.records, summary.recovered, summary.skipped) == (len(intact), len(intact), 0)
    assert summary.partial == 1 and not summary.rejected
    rows, stats = read(path)
    assert sorted(rows) == sorted(intact) and "file header damaged" in stats.problems[0]


@pytest.mark.parametrize("size", [0, 8, 20, 47])
def test_a_file_shorter_than_its_header_says_so(tmp_path: Path, size: int) -> None:
    path = tmp_path / "short.evt"
    path.write_bytes(FLEET_LOG.read_bytes()[:size])
    summary = run_ingest([path], tmp_path / "wh")
    reason = "empty file" if size == 0 else f"file of {size} bytes ends inside its header"
    assert summary.rejected == [(str(path), reason if size == 0 else f"nothing readable: {reason}")]


@pytest.mark.parametrize(
    ("name", "channel"),
    [
        ("AppEvent.Evt", "Application"),
        ("SysEvent.Evt", "System"),
        ("SecEvent.Evt", "Security"),
        ("sysevent-truncated.evt", "System"),
        ("WS-01_AppEvent.evt", "Application"),
        ("WS-01_Application.evt", "Application"),
        ("HOST-7 System (2).evt", "System"),
        ("security.evt", "Security"),
        ("TestLog-dirty.evt", "TestLog"),
        ("TestLog (2).evt", "TestLog"),
        ("Internet Explorer.evt", "Internet Explorer"),
        ("NtFrs.Evt", "File Replication Service"),
    ],
)
def test_channel_comes_from_the_file_name(name: str, channel: str) -> None:
    assert channel_of(Path(name)) == channel
