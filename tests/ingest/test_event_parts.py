"""The commit's event parts: large clean parts kept as they are, the rest merged, and the
result exactly one row per identity, the copy from the smallest file_id (among files read
cleanly: test_warehouse), whatever path a part took."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.ingest import step
from pipeline.ingest.step import FileTask, run_step
from pipeline.store import compact, event_parts
from pipeline.store.event_parts import commit_event_parts
from pipeline.store.schemas import EVENT_IDENTITY, EVENTS
from tests.conftest import EVTX_SAMPLES

# Two different files holding the same 2261 Security records, and a third with other records.
OVERLAPPING = ("security.evtx", "security_bad_string_cache.evtx")
OTHER = "system.evtx"


def stage(paths: list[Path], staging: Path) -> list[str]:
    """Run the per-file step on each path, as a batch would; the staged part paths."""
    staging.mkdir(parents=True, exist_ok=True)
    parts: list[str] = []
    for path in paths:
        file_id = hashlib.sha256(path.read_bytes()).hexdigest()
        task = FileTask(str(path), file_id, "evtx", path.stat().st_size, "auto", str(staging))
        result = run_step(task)
        assert result.status == "ok", result.error
        parts.extend(result.parts)
    return parts


def expected(staged: list[str], live: pl.DataFrame | None) -> pl.DataFrame:
    """The reference: staged rows in (file_id, position) order, first copy of each identity,
    less identities already live."""
    ordered = sorted(staged, key=lambda p: Path(p).name)
    rows = pl.concat([pl.read_parquet(p) for p in ordered])
    rows = rows.unique(subset=list(EVENT_IDENTITY), keep="first", maintain_order=True)
    if live is not None:
        rows = rows.join(live.select(EVENT_IDENTITY), on=list(EVENT_IDENTITY), how="anti")
    return rows


def committed(root: Path, relative: list[str]) -> pl.DataFrame:
    return pl.concat([pl.read_parquet(root / r) for r in relative])


def as_set(frame: pl.DataFrame) -> set[tuple[object, ...]]:
    return set(frame.select(EVENTS.names).iter_rows())


@pytest.fixture()
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts of 500 rows; those of 400 or more kept whole; merges of at most 1200 rows or
    2 parts: every path of the commit on a few real files."""
    monkeypatch.setattr(step, "BATCH_ROWS", 500)
    monkeypatch.setattr(event_parts, "PROMOTE_ROWS", 400)
    monkeypatch.setattr(compact, "MERGE_ROWS", 1200)
    monkeypatch.setattr(compact, "MERGE_PARTS", 2)


@pytest.mark.usefixtures("small_parts")
def test_one_row_per_identity_the_smallest_file_id_wins(tmp_path: Path) -> None:
    paths = [EVTX_SAMPLES / name for name in (*OVERLAPPING, OTHER)]
    staged = stage(paths, tmp_path / "staging")
    want = expected(staged, None)
    staged_digests = {hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in staged}

    added, relative, *_ = commit_event_parts(tmp_path, staged, [], "b1")

    got = committed(tmp_path, relative)
    assert added == got.height == want.height
    assert as_set(got) == as_set(want)
    assert got.select(EVENT_IDENTITY).is_duplicated().sum() == 0
    # every shared record comes from the file with the smaller file_id
    ids = {hashlib.sha256((EVTX_SAMPLES / n).read_bytes()).hexdigest() for n in OVERLAPPING}
    assert set(got.filter(pl.col("file_id").is_in(ids))["file_id"]) == {min(ids)}
    # clean parts of the winning file were kept byte for byte; the losing file's were merged
    kept = [
        r
        for r in relative
        if hashlib.sha256((tmp_path / r).read_bytes()).hexdigest() in staged_digests
    ]
    assert kept, "no large clean part was kept as it was"
    assert all(pl.read_parquet(tmp_path / r).height <= 1200 for r in relative if r not in kept)
    assert not any(Path(p).exists() for p in staged if Path(p).name in {Path(r).name for r in kept})


@pytest.mark.usefixtures("small_parts")
def test_rows_already_live_are_dropped(tmp_path: Path) -> None:
    first = stage([EVTX_SAMPLES / OVERLAPPING[0]], tmp_path / "s1")
    added, live_parts, *_ = commit_event_parts(tmp_path, first, [], "b1")
    live = committed(tmp_path, live_parts)
    assert added == live.height == 2261

    second = stage([EVTX_SAMPLES / n for n in (OVERLAPPING[1], OTHER)], tmp_path / "s2")
    want = expected(second, live)
    added, relative, *_ = commit_event_parts(
        tmp_path, second, [str(tmp_path / r) for r in live_parts], "b2"
    )
    got = committed(tmp_path, relative)
    assert added == got.height == want.height > 0
    assert as_set(got) == as_set(want)
    assert set(got["file_id"]) == {hashlib.sha256((EVTX_SAMPLES / OTHER).read_bytes()).hexdigest()}


@pytest.mark.usefixtures("small_parts")
def test_a_batch_of_nothing_new_writes_no_part(tmp_path: Path) -> None:
    first = stage([EVTX_SAMPLES / OVERLAPPING[0]], tmp_path / "s1")
    _, live_parts, *_ = commit_event_parts(tmp_path, first, [], "b1")
    again = stage([EVTX_SAMPLES / OVERLAPPING[1]], tmp_path / "s2")
    added, relative, *_ = commit_event_parts(
        tmp_path, again, [str(tmp_path / r) for r in live_parts], "b2"
    )
    assert (added, relative) == (0, [])
    assert sorted(p.name for p in (tmp_path / "events").iterdir()) == sorted(
        Path(r).name for r in live_parts
    )


def test_parts_keep_the_declared_types(tmp_path: Path) -> None:
    staged = stage([EVTX_SAMPLES / OTHER, EVTX_SAMPLES / OVERLAPPING[0]], tmp_path / "s")
    _, relative, *_ = commit_event_parts(tmp_path, staged, [], "b1")
    files = [str(tmp_path / r) for r in relative]
    with duckdb.connect() as con:
        types = con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
            [files],
        ).fetchall()
    declared = {c.name: c.sql_type for c in EVENTS.columns}
    declared["event_data"] = "VARCHAR"  # JSON is a view cast; Parquet holds its text
    assert dict(types) == declared


def test_live_records_without_a_time_are_found_too(tmp_path: Path) -> None:
    """The live side is read only over the batch's time range, and records whose time
    could not be read (NULL) besides: a NULL is its own identity, as it is live."""

    def untimed(parts: list[str]) -> list[str]:
        for part in parts:
            frame = pl.read_parquet(part)
            null_time = pl.when(pl.int_range(pl.len()) < 10).then(None)
            frame = frame.with_columns(
                null_time.otherwise(pl.col("time_created")).alias("time_created")
            )
            frame.write_parquet(part)
        return parts

    first = untimed(stage([EVTX_SAMPLES / OVERLAPPING[0]], tmp_path / "s1"))
    added, live_parts, *_ = commit_event_parts(tmp_path, first, [], "b1")
    live = committed(tmp_path, live_parts)
    assert live["time_created"].null_count() == 10 and added == live.height

    again = untimed(stage([EVTX_SAMPLES / OVERLAPPING[1]], tmp_path / "s2"))
    added, relative, losers, *_ = commit_event_parts(
        tmp_path, again, [str(tmp_path / r) for r in live_parts], "b2"
    )
    assert (added, relative) == (0, [])
    assert sum(len(rows) for rows in losers.values()) == live.height
