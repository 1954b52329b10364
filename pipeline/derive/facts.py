"""Events -> `_profile_facts` rows: what the catalog reads from each profile event, read once.

The per-file step reads the profile events of each part it writes (a few percent of all
events) into facts, staged beside the parts, so the parsing runs on the workers, in
parallel, and only once per event: the commit keeps the facts of the events it keeps, and
the analytic tables are built from the facts alone (`build.py`). EventLog 6009 (the Windows
version the host logged at boot, for `os_family`) is kept as a fact with `version` set.

Facts are only as good as the rules that read them: the catalog and the parsers. `rules()`
is a digest of those files; each facts part carries it in its name, and a warehouse whose
facts were read by other rules has them read again from `events` (`build.commit_derived`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Final

import orjson
import polars as pl

from pipeline.derive.profile import Reading, read_event
from pipeline.normalize.profile_catalog import catalog_pairs
from pipeline.store.schemas import PROFILE_FACTS

# Where a staged fact came from (its events part, its row there), to drop losing copies.
PART: Final = "_part"
ROW: Final = "_row"
VERSION_PROVIDER: Final = "EventLog"
VERSION_EVENT: Final = 6009
# What reading an event depends on, as package-relative paths; folders mean their *.py.
_RULE_SOURCES: Final = (
    "normalize/profile_catalog.csv",
    "normalize/profile_catalog.py",
    "normalize/leaks",
    "derive/profile.py",
    "derive/facts.py",
)
_BASE: Final = ("host", "channel", "record_id", "time_created", "provider", "event_id", "file_id")
_READ: Final = ("provider", "event_id", "channel", "user_sid", "event_data")
_FACT: Final = tuple(name for name in PROFILE_FACTS.names if name not in _BASE)


@functools.cache
def rules() -> str:
    """A short digest of the catalog and the code that reads events with it."""
    digest = hashlib.sha256()
    package = resources.files("pipeline")
    for name in _RULE_SOURCES:
        node = package.joinpath(name)
        files = (
            sorted((f for f in node.iterdir() if f.name.endswith(".py")), key=lambda f: f.name)
            if node.is_dir()
            else [node]
        )
        for file in files:
            digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def staged_facts_path(staging_dir: str, file_id: str) -> str:
    """Where the per-file step puts the facts of a file's events parts; the name carries
    the rules that read them, as every facts part's does."""
    return str(Path(staging_dir) / f"{file_id}.facts-{rules()}.arrow")


@functools.cache
def _pairs() -> frozenset[tuple[str, int]]:
    return frozenset(catalog_pairs())


@functools.cache
def _event_ids() -> list[int]:
    """Every event id `candidates` can accept."""
    return sorted({event_id for _, event_id in _pairs()} | {VERSION_EVENT})


def candidates(events: pl.LazyFrame) -> pl.LazyFrame:
    """The events that may be profile events (the catalog lists their provider, compared
    lower-cased, and id) or are version events. The id alone is tested first: one integer
    column, and it turns most rows away."""
    return events.filter(pl.col("event_id").is_in(_event_ids())).filter(_listed())


@functools.cache
def _listed() -> pl.Expr:
    keys = [f"{provider}\0{event_id}" for provider, event_id in sorted(_pairs())]
    key = pl.concat_str(
        [pl.col("provider").str.to_lowercase(), pl.col("event_id").cast(pl.String)],
        separator="\0",
    )
    version = (pl.col("provider") == VERSION_PROVIDER) & (pl.col("event_id") == VERSION_EVENT)
    return key.is_in(keys) | version


def facts_of(events: pl.DataFrame) -> pl.DataFrame:
    """The facts of `events` (`events` columns), in their order, with `ROW`: the row each
    came from. A candidate the catalog does not read (a Userenv 1000 of another text) has
    none.

    Few Polars operations per call: the step calls this once per part, and on a fleet of
    small files each operation's fixed cost (~0.3 ms) would outweigh the reading."""
    rows = candidates(events.lazy().with_row_index(ROW)).select(ROW).collect()[ROW].to_list()
    if not rows:
        return pl.DataFrame(schema={ROW: pl.UInt32(), **PROFILE_FACTS.polars_schema})
    picked = events[rows] if len(rows) < events.height else events
    kept: list[int] = []
    read: list[tuple[str | None, ...]] = []
    values = zip(*(picked.get_column(name).to_list() for name in _READ), strict=True)
    for at, (provider, event_id, channel, sid, data) in enumerate(values):
        version = _version(data) if _is_version(provider, event_id) else None
        reading = read_event(provider, event_id, channel, sid, data)
        if reading is not None or version is not None:
            kept.append(at)
            read.append(_fact(reading, version))
    numbers = pl.Series(ROW, [rows[at] for at in kept], dtype=pl.UInt32())
    base = picked.select(_BASE)
    if len(kept) < picked.height:
        base = base[kept] if kept else base.clear()
    return base.insert_column(0, numbers).hstack(_frame(read))


def read_facts(event_files: Sequence[str]) -> pl.DataFrame:
    """The facts of every event in `event_files` (Parquet parts of `events`), without `ROW`:
    for reading a warehouse's facts again under new rules."""
    if not event_files:
        return pl.DataFrame(schema=PROFILE_FACTS.polars_schema)
    picked = candidates(pl.scan_parquet(list(event_files))).collect()
    return facts_of(picked).drop(ROW)


def _fact(reading: Reading | None, version: str | None) -> tuple[str | None, ...]:
    """The `_FACT` columns of one event, `families` `;`-joined and `leaks` as JSON: Polars
    builds nested columns from Python objects ~100 times slower than it parses text."""
    if reading is None:
        return (version, *[None] * (len(_FACT) - 1))
    entry = reading.entry
    leaks = [{"user_sid": reading.leak_sid, **leak._asdict()} for leak in reading.leaks]
    return (
        version,
        entry.kind,
        reading.user_sid,
        reading.user_name,
        reading.detail,
        entry.event_class,
        entry.role,
        entry.remediates,
        ";".join(entry.families),
        orjson.dumps(leaks).decode() if leaks else None,
    )


def _frame(read: list[tuple[str | None, ...]]) -> pl.DataFrame:
    """The `_FACT` columns of `_fact` rows, typed as declared."""
    schema = PROFILE_FACTS.polars_schema
    columns = list(zip(*read, strict=True)) if read else [()] * len(_FACT)
    text = {
        name: pl.Series(name, values, dtype=pl.String())
        for name, values in zip(_FACT, columns, strict=True)
    }
    return pl.DataFrame(text).with_columns(
        pl.col("families").str.split(";"),
        pl.col("leaks").str.json_decode(schema["leaks"]).fill_null([]),
    )


def _is_version(provider: str | None, event_id: int | None) -> bool:
    return provider == VERSION_PROVIDER and event_id == VERSION_EVENT


def _version(event_data: str | None) -> str:
    """The version text of a 6009: its first insertion string, or '' when it has none."""
    value = orjson.loads(event_data) if event_data else None
    strings = value.get("strings") if isinstance(value, dict) else None
    first = strings[0] if isinstance(strings, list) and strings else None
    if first is None:
        return ""
    return first if isinstance(first, str) else orjson.dumps(first).decode()
