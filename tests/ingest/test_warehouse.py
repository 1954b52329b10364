"""Ingest into the warehouse: identity, idempotence, duplicates, rejects, readers without us."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.decode.evtx import read_evtx
from pipeline.errors import UsageError
from pipeline.ingest import run as ingest_run
from pipeline.ingest.run import Summary
from pipeline.ingest.step import FileResult, FileTask
from pipeline.records import DecodeStats
from pipeline.store.catalog import CATALOG
from tests.conftest import EVTX_SAMPLES, ROOT, SAMPLES, run_ingest

FIXTURES = ROOT / "fixtures"


def scalar(root: Path, sql: str) -> object:
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def identities(path: Path) -> set[tuple[object, ...]]:
    stats = DecodeStats()
    frame_rows = list(read_evtx(path, "auto", stats))
    from pipeline.store.frame import frame

    typed = frame(frame_rows, "evtx", "x")
    return set(typed.select("host", "channel", "record_id", "time_created").iter_rows())


def test_samples_land_in_events_and_ledger(samples_warehouse: tuple[Path, Summary]) -> None:
    root, summary = samples_warehouse
    assert summary.records > 20_000
    assert scalar(root, "select count(*) from events") == summary.new_events
    files = scalar(root, "select count(*) from ingest_files")
    assert files == summary.offered == len([p for p in SAMPLES.rglob("*") if p.is_file()])
    # identity is unique
    assert (
        scalar(
            root,
            "select count(*) from (select host, channel, record_id, time_created, count(*) n"
            " from events group by all having n > 1)",
        )
        == 0
    )
    # the host is the logged computer name, never a path
    assert scalar(root, "select count(*) from events where host like '%/%'") == 0


def test_the_ledger_holds_each_files_sha256_and_size(
    samples_warehouse: tuple[Path, Summary],
) -> None:
    root, _ = samples_warehouse
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        rows = con.execute("select path, file_id, size_bytes from ingest_files").fetchall()
    sizes = []
    for path, file_id, size in rows:
        data = Path(path).read_bytes()
        assert (file_id, size) == (hashlib.sha256(data).hexdigest(), len(data)), path
        sizes.append(size)
    assert max(sizes) > 1 << 20  # files larger than any one read


def test_duplicate_content_is_recorded_not_read(samples_warehouse: tuple[Path, Summary]) -> None:
    root, _ = samples_warehouse
    # security.evtx and pyevtx-security.evtx are byte-identical
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        rows = con.execute(
            "select status, records from ingest_files"
            " where parse_filename(path) in ('security.evtx', 'pyevtx-security.evtx')"
        ).fetchall()
    assert sorted(rows) == [("duplicate", 0), ("ok", 2261)]


def test_overlapping_exports_are_one_row_per_record(tmp_path: Path) -> None:
    # Two different files (not byte-identical) holding the same 2261 Security records.
    first = EVTX_SAMPLES / "security.evtx"
    second = EVTX_SAMPLES / "security_bad_string_cache.evtx"
    assert first.read_bytes() != second.read_bytes()
    assert identities(first) == identities(second)
    root = tmp_path / "wh"
    run_ingest([first], root)
    summary = run_ingest([second], root)
    assert summary.read == 1 and summary.records == 2261 and summary.new_events == 0
    assert scalar(root, "select count(*) from events") == 2261
    assert scalar(root, "select count(*) from ingest_files where status = 'ok'") == 2


def test_overlap_within_one_batch_in_either_order(tmp_path: Path) -> None:
    source = (EVTX_SAMPLES / "pyevtx-system.evtx").read_bytes()
    cut = 0x1000 + 5 * 0x10000
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-full.evtx").write_bytes(source)
    (folder / "b-first-five-chunks.evtx").write_bytes(source[:cut])
    root = tmp_path / "wh"
    summary = run_ingest([folder], root, jobs=2)
    assert summary.records > 1601 and summary.new_events == 1601
    assert scalar(root, "select count(distinct record_id) from events") == 1601


@pytest.mark.parametrize("batches", ["one batch", "altered first", "intact first"])
def test_an_intact_copy_beats_a_copy_whose_chunk_checksum_fails(
    tmp_path: Path, batches: str
) -> None:
    # A byte flipped inside a 1530 DETAIL still parses, into altered text; the chunk's
    # checksum gives it away. The altered file's sha256 is made to sort first, so that the
    # tie-break by file_id alone would keep the altered copy. In two batches, the intact
    # copy replaces the altered one when it comes second, and what the altered text said
    # leaves the analytic tables with it.
    intact = FIXTURES / "RDS-8612.corp.contoso.com" / "Application.evtx"
    original = intact.read_bytes()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "Application.evtx").write_bytes(original)
    altered = _altered_first(original, "_Classes".encode("utf-16-le"))
    (folder / "Application-vss.evtx").write_bytes(altered)
    root = tmp_path / "wh"
    if batches == "one batch":
        run_ingest([folder], root)
    else:
        pair = [folder / "Application-vss.evtx", folder / "Application.evtx"]
        first, second = pair if batches == "altered first" else reversed(pair)
        run_ingest([first], root)
        assert run_ingest([second], root).new_events == 0
    assert scalar(root, "select count(*) from ingest_files where status = 'partial'") == 1
    alone = tmp_path / "alone"
    run_ingest([intact], alone)
    for sql in (
        "select * exclude (file_id) from events order by record_id",
        "select * exclude (file_id) from profile_events order by all",
        "select * from hive_leaks order by all",
        "select * from unload_incidents order by all",
        "select * from offenders order by all",
    ):
        with duckdb.connect(str(root / CATALOG), read_only=True) as con:
            kept = con.execute(sql).fetchall()
        with duckdb.connect(str(alone / CATALOG), read_only=True) as con:
            want = con.execute(sql).fetchall()
        assert kept == want, sql


def _altered_first(data: bytes, text: bytes) -> bytes:
    """`data` with one letter of one occurrence of `text` changed, such that the result's
    sha256 sorts before the original's."""
    digest = hashlib.sha256(data).hexdigest()
    position = data.find(text)
    while position != -1:
        for letter in b"DEFGH":
            altered = bytearray(data)
            altered[position + 2] = letter  # the "C" of "_Classes", in UTF-16LE
            if hashlib.sha256(altered).hexdigest() < digest:
                return bytes(altered)
        position = data.find(text, position + 1)
    raise AssertionError("no alteration sorts first")


def test_reingest_adds_nothing_and_reads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "wh"
    inputs = [EVTX_SAMPLES / "system.evtx", EVTX_SAMPLES / "sysmon.evtx", SAMPLES / "README.md"]
    first = run_ingest(inputs, root)
    parts_before = sorted(p.name for p in root.rglob("*.parquet"))
    events_before = scalar(root, "select count(*) from events")

    def no_reading(task: object) -> object:
        raise AssertionError("an unchanged file was read again")

    monkeypatch.setattr(ingest_run, "run_step", no_reading)
    second = run_ingest(inputs, root)
    assert second.unchanged == 2 and second.records == 0 and second.new_events == 0
    assert [r[0] for r in second.rejected] == [str(SAMPLES / "README.md")]  # still unreadable
    assert sorted(p.name for p in root.rglob("*.parquet")) == parts_before
    assert scalar(root, "select count(*) from events") == events_before == first.new_events
    assert scalar(root, "select count(*) from ingest_files") == 3
    assert not list((root / "_staging").glob("*"))  # no empty batch folder left behind


def test_one_file_under_other_names_is_read_once_and_then_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder given twice, a link to a file, and later the same folder by a relative path
    from elsewhere: each file is read once, and is then unchanged, not a `duplicate`."""
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(EVTX_SAMPLES / "TestLogX.evtx", logs / "x.evtx")
    (tmp_path / "link.evtx").symlink_to(logs / "x.evtx")
    root = tmp_path / "wh"
    first = run_ingest([logs, tmp_path / "link.evtx", logs], root)
    assert (first.offered, first.read, first.duplicates) == (1, 1, 0)
    monkeypatch.chdir(tmp_path)
    again = run_ingest([Path("logs"), Path("link.evtx"), Path("./logs/x.evtx")], root)
    assert (again.offered, again.unchanged, again.read, again.duplicates) == (1, 1, 0, 0)
    assert scalar(root, "select list(path) from ingest_files") == [str(logs / "x.evtx")]
    copy = tmp_path / "copy.evtx"  # another file of the same content is still a duplicate
    shutil.copy(logs / "x.evtx", copy)
    assert run_ingest([copy], root).duplicates == 1


def test_unreadable_inputs_are_rejected_rows_and_the_rest_commits(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.evtx").write_bytes(b"")
    (folder / "random.evtx").write_bytes(bytes(range(256)) * 64)
    shutil.copy(EVTX_SAMPLES / "TestLogX.evtx", folder / "good.evtx")
    missing = tmp_path / "does-not-exist.evtx"
    root = tmp_path / "wh"
    summary = run_ingest([folder, missing], root)
    reasons = dict(summary.rejected)
    assert reasons == {
        str(folder / "empty.evtx"): "empty file",
        str(folder / "random.evtx"): "not an event log (.evtx, .evt or XML)",
        str(missing): "no such file",
    }
    assert scalar(root, "select count(*) from events") == 5
    assert scalar(root, "select count(*) from ingest_files where status = 'rejected'") == 3


def test_links_are_followed_once_and_odd_entries_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(EVTX_SAMPLES / "TestLogX.evtx", folder / "good.evtx")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(EVTX_SAMPLES / "pyevtx-system.evtx", elsewhere / "System.evtx")
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
    (folder / "up").symlink_to(folder, target_is_directory=True)  # a loop back up the tree
    (folder / "a.evtx").symlink_to(folder / "b.evtx")
    (folder / "b.evtx").symlink_to(folder / "a.evtx")
    os.mkfifo(folder / "pipe.evtx")  # opening it would wait for a writer for ever
    root = tmp_path / "wh"
    summary = run_ingest([folder], root)
    assert dict(summary.rejected) == {
        str(folder / "a.evtx"): "cannot read: Too many levels of symbolic links",
        str(folder / "b.evtx"): "cannot read: Too many levels of symbolic links",
        str(folder / "pipe.evtx"): "not a regular file (a pipe or device)",
    }
    assert summary.read == 2 and summary.duplicates == 0
    assert scalar(root, "select count(*) from events") == 5 + 1601


def test_the_warehouse_is_no_input(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    shutil.copy(EVTX_SAMPLES / "TestLogX.evtx", tmp_path / "good.evtx")
    run_ingest([tmp_path / "good.evtx"], root)
    with pytest.raises(UsageError, match="is the warehouse or inside it"):
        run_ingest([root / "events"], root)
    summary = run_ingest([tmp_path], root)  # a parent of the warehouse: its files are skipped
    assert summary.offered == 1 and summary.unchanged == 1 and not summary.rejected


def test_header_destroyed_file_is_still_sniffed_as_evtx(tmp_path: Path) -> None:
    data = bytearray((EVTX_SAMPLES / "TestLogX.evtx").read_bytes())
    data[:0x1000] = bytes(0x1000)
    (tmp_path / "noheader.bin").write_bytes(bytes(data))
    summary = run_ingest([tmp_path / "noheader.bin"], tmp_path / "wh")
    assert summary.records == 5 and summary.recovered == 5 and not summary.rejected


def test_readers_without_hivewatch(samples_warehouse: tuple[Path, Summary], tmp_path: Path) -> None:
    root, summary = samples_warehouse
    # DuckDB on the catalog from another working directory
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        count = con.execute("select count(*) from events").fetchone()
        types = dict(
            con.execute("select column_name, column_type from (describe events)").fetchall()
        )
    assert count == (summary.new_events,)
    assert types["event_id"] == "INTEGER" and types["time_created"] == "TIMESTAMP"
    assert types["event_data"] == "JSON" and types["level"] == "TINYINT"
    # Polars straight on the Parquet parts
    scanned = pl.scan_parquet(root / "events" / "*.parquet").select(pl.len()).collect().item()
    assert scanned == summary.new_events
    # The catalog's storage is the one DuckDB 1.0 and later read (version 64 in its header),
    # whatever newer DuckDB wrote it: a user's `duckdb` command may be older.
    header = (root / CATALOG).read_bytes()[:20]
    assert header[8:12] == b"DUCK" and int.from_bytes(header[12:20], "little") == 64


def test_moved_warehouse_still_answers(
    samples_warehouse: tuple[Path, Summary], tmp_path: Path
) -> None:
    from pipeline.query.sql import run_sql

    root, summary = samples_warehouse
    moved = tmp_path / "moved"
    shutil.copytree(root, moved)
    assert run_sql(moved, "select count(*) from events").rows == [(summary.new_events,)]


def test_show_tables_names_each_table_once(samples_warehouse: tuple[Path, Summary]) -> None:
    """The catalog's views are current, so the session declares no second view over them."""
    from pipeline.query.sql import run_sql

    names = [row[0] for row in run_sql(samples_warehouse[0], "show tables").rows]
    assert len(names) == len(set(names)) and {"events", "ingest_files"} <= set(names)


def test_copies_of_one_content_read_the_first_given(tmp_path: Path) -> None:
    """Files are read largest first, but of equal contents the first offered is read."""
    small = EVTX_SAMPLES / "TestLogX.evtx"
    for name in ("a.evtx", "b.evtx"):
        shutil.copy(small, tmp_path / name)
    shutil.copy(EVTX_SAMPLES / "system.evtx", tmp_path / "big.evtx")
    root = tmp_path / "wh"
    run_ingest([tmp_path / "b.evtx", tmp_path / "big.evtx", tmp_path / "a.evtx"], root, jobs=2)
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        ledger = dict(
            con.execute("select parse_filename(path), status from ingest_files").fetchall()
        )
    assert ledger == {"b.evtx": "ok", "big.evtx": "ok", "a.evtx": "duplicate"}


def test_reading_starts_while_files_are_still_hashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The smallest file's hash waits until a larger file is being read: it can only
    finish if reading does not wait for every hash. Files go to the reader largest first."""
    names = ["TestLogX.evtx", "sysmon.evtx", "system.evtx"]  # smallest first
    inputs = [EVTX_SAMPLES / name for name in names]
    smallest = min(inputs, key=lambda p: p.stat().st_size)
    reading = threading.Event()
    waited: list[bool] = []
    order: list[int] = []
    real_probe, real_step = ingest_run.probe, ingest_run.run_step

    def slow_probe(path: Path) -> object:
        if path == smallest:
            waited.append(reading.wait(timeout=10))
        return real_probe(path)

    def step(task: FileTask) -> FileResult:
        order.append(task.size_bytes)
        reading.set()
        return real_step(task)

    monkeypatch.setattr(ingest_run, "probe", slow_probe)
    monkeypatch.setattr(ingest_run, "run_step", step)
    summary = run_ingest(inputs, tmp_path / "wh", jobs=1)
    assert waited == [True]
    assert summary.read == 3 and order == sorted(order, reverse=True)


def test_an_interrupted_batch_stops_hashing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during the first read: the files not yet hashed are left alone, nothing is
    committed."""
    inputs = sorted(EVTX_SAMPLES.glob("*.evtx"))
    hashed: list[Path] = []
    real_probe = ingest_run.probe

    def slow_probe(path: Path) -> object:
        time.sleep(0.05)
        hashed.append(path)
        return real_probe(path)

    def interrupted(task: FileTask) -> FileResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_run, "probe", slow_probe)
    monkeypatch.setattr(ingest_run, "run_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_ingest(inputs, tmp_path / "wh", jobs=1)
    assert 0 < len(hashed) < len(inputs) // 2
    assert (
        not (tmp_path / "wh" / CATALOG).exists()
        or scalar(tmp_path / "wh", "select count(*) from events") == 0
    )
