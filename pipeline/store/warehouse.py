"""The warehouse directory: its write lock, its ledger, and the atomic commit of a batch.

Layout::

    warehouse/
      catalog.duckdb          views over the live parts (see catalog.py): the commit point
      events/part-*.parquet   the parts of each committed batch, one row per identity
                              across all of them (see event_parts.py)
      ingest_files/part-*.parquet
      _profile_facts/part-*.parquet   what each profile event says (pipeline/derive/facts.py)
      profile_events/ ... offenders/  the analytic tables, one part each (derive/build.py)
      _staging/<batch>/       per-file parts of the batch in progress; never read by queries
      .lock                   held by the one process writing

A batch commits in four steps: write the new table parts, write a new catalog listing
them, rename it over the old one, delete the parts it no longer lists. Until the rename
nothing new is live; a process killed before it leaves unlisted parts and a staging folder,
which the next writer removes. A reader still on the old catalog can meet a deleted part:
Hivewatch's readers then read again (query/sql.py `read_consistently`).
"""

from __future__ import annotations

import fcntl
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipeline.errors import WarehouseBusy
from pipeline.store.catalog import CATALOG, read_parts, remove_unlisted, write_catalog
from pipeline.store.compact import compacted
from pipeline.store.event_parts import EventCommit, commit_event_parts
from pipeline.store.schemas import EVENTS, INGEST_FILES
from pipeline.store.sqltext import literal_list

STAGING = "_staging"

# Builds the tables that follow from the events, once the batch's events are placed:
# (root, live parts with the batch's events among them, the batch's events, batch) ->
# table -> its new list of parts, for the tables that changed.
Derive = Callable[
    [Path, Mapping[str, Sequence[str]], EventCommit, str], Mapping[str, Sequence[str]]
]
LOCK = ".lock"


@dataclass(frozen=True)
class LedgerEntry:
    file_id: str | None
    path: str
    status: str
    error: str | None


@dataclass(frozen=True)
class CommitResult:
    new_events: int
    files: int


class Warehouse:
    """A warehouse directory, opened for writing by one process at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def catalog_path(self) -> Path:
        return self.root / CATALOG

    @contextmanager
    def writing(self) -> Iterator[Warehouse]:
        """Hold the write lock, and first clear what an interrupted batch left behind."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise WarehouseBusy(
                    f"another hivewatch process is writing to {self.root}"
                ) from None
            try:
                self._clear_leftovers()
                yield self
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def new_staging(self) -> tuple[str, Path]:
        batch = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(4)
        staging = self.root / STAGING / batch
        staging.mkdir(parents=True)
        return batch, staging

    def ledger(self) -> list[LedgerEntry]:
        """Every file ever offered, as the committed `ingest_files` parts record it."""
        files = self._live(INGEST_FILES.name)
        if not files:
            return []
        with duckdb.connect() as con:
            rows = con.execute(
                f"SELECT file_id, path, status, error FROM read_parquet({literal_list(files)})"
            ).fetchall()
        return [LedgerEntry(*row) for row in rows]

    def commit(
        self,
        batch: str,
        event_parts: Sequence[str],
        ledger_rows: pl.DataFrame,
        derive: Derive | None = None,
        ledger: Sequence[LedgerEntry] | None = None,
    ) -> CommitResult:
        """Make the batch live: new distinct events (a better copy of a live one replacing
        it: event_parts.py), its ledger rows, what `derive` builds, small parts merged
        (compact.py), then the catalog swap.
        Files read with problems, in this batch or before, are the doubtful ones; `ledger`
        is the one the batch read at its start, else it is read again (~50 ms)."""
        parts = read_parts(self.root)
        live = [str(self.root / f) for f in parts[EVENTS.name]]
        doubtful = ledger_rows.filter(pl.col("status") == "partial")["file_id"].to_list()
        earlier = self.ledger() if ledger is None else ledger
        doubtful += [e.file_id for e in earlier if e.status == "partial" and e.file_id]
        events = commit_event_parts(self.root, event_parts, live, batch, doubtful)
        parts[EVENTS.name] = [
            *(part for part in parts[EVENTS.name] if part not in events.retired),
            *events.parts,
        ]
        if ledger_rows.height:
            ledger_name = f"{INGEST_FILES.name}/part-{batch}.parquet"
            (self.root / INGEST_FILES.name).mkdir(exist_ok=True)
            ledger_rows.select(INGEST_FILES.names).write_parquet(
                self.root / ledger_name, compression="zstd"
            )
            parts[INGEST_FILES.name].append(ledger_name)
        if derive is not None:
            changed = derive(self.root, parts, events, batch)
            parts.update({name: list(files) for name, files in changed.items()})
        for table in (EVENTS, INGEST_FILES):  # after `derive`, which reads the batch's parts
            merged = compacted(self.root, table, parts[table.name], batch)
            parts[table.name] = parts[table.name] if merged is None else merged
        write_catalog(self.root, parts)
        remove_unlisted(self.root, parts)  # replaced, merged, or merged before ever live
        shutil.rmtree(self.root / STAGING / batch, ignore_errors=True)
        return CommitResult(new_events=events.added, files=ledger_rows.height)

    def _live(self, table: str) -> list[str]:
        return [str(self.root / f) for f in read_parts(self.root).get(table, [])]

    def _clear_leftovers(self) -> None:
        """Remove staging folders and parts no catalog lists: the debris of a killed batch."""
        shutil.rmtree(self.root / STAGING, ignore_errors=True)
        parts = read_parts(self.root)
        remove_unlisted(self.root, parts)
        if not self.catalog_path.exists():
            write_catalog(self.root, parts)
