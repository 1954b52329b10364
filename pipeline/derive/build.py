"""Build the analytic tables from `_profile_facts`, as one Parquet part each.

The per-file step reads each profile event into a fact once (`facts.py`); a commit adds the
facts of the events it keeps as one part, then rebuilds the tables whole from all facts: an
incident can span two batches, and a rebuild keeps the tables exactly what one ingest of all
the inputs would give. Facts are a few percent of the events, and only the grouping runs
row by row in Python.

Parts are named `part-<batch>-<rules>.parquet`, `rules` the digest of the catalog and parsers
that read the facts (`facts.rules`). After an upgrade that changes them, the next commit
reads the facts again from `events` and rebuilds every table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import orjson
import polars as pl

from pipeline.derive.facts import PART, ROW, read_facts, rules
from pipeline.derive.families import family_of, host_families
from pipeline.derive.incidents import account_sids_of, group_incidents
from pipeline.derive.offenders import rank_offenders
from pipeline.derive.profile import LeakRow, ProfileEvent
from pipeline.normalize.profile_catalog import family_from_version
from pipeline.normalize.remediation import remediation_rows
from pipeline.store.event_parts import EventCommit
from pipeline.store.schemas import (
    DERIVED,
    EVENT_IDENTITY,
    EVENTS,
    HIVE_LEAKS,
    OFFENDERS,
    PROFILE_EVENTS,
    PROFILE_FACTS,
    REMEDIATION,
    TABLES,
    UNLOAD_INCIDENTS,
    Table,
)

MAX_FACTS_PARTS = 32  # at this many, the next build writes all facts as one part
_ORDER = ["host", "time_created", "channel", "record_id"]
_EVENT_FIELDS = list(ProfileEvent._fields)
_LEAK_FIELDS = list(LeakRow._fields)


def needs_rebuild(parts: Mapping[str, Sequence[str]], new_events: Sequence[str] = ()) -> bool:
    """Whether the facts must be read again from `events`: the live facts or tables were
    built by other rules, or there were events (other than the batch's `new_events`) but
    no tables, as in a warehouse older than the tables."""
    had_events = set(parts.get(EVENTS.name, ())) - set(new_events)
    built = [part for t in (PROFILE_FACTS, *DERIVED) for part in parts.get(t.name, ())]
    missing = not any(parts.get(t.name) for t in DERIVED)
    return any(not _fresh(part) for part in built) or (bool(had_events) and missing)


def commit_derived(
    root: Path,
    parts: Mapping[str, Sequence[str]],
    events: EventCommit,
    batch: str,
    *,
    staged_facts: Sequence[str] = (),
) -> dict[str, list[str]]:
    """Add the batch's facts and rebuild the tables; table -> its new list of parts (relative
    paths), or nothing when no table changes.

    `parts` are the live parts with the batch's `events` already among them; `staged_facts`
    the facts the workers wrote, of which those of losing event copies are dropped."""
    live_facts = list(parts.get(PROFILE_FACTS.name, []))
    stale_staged = not all(_fresh(p) for p in staged_facts)  # a worker of another version
    if stale_staged or needs_rebuild(parts, events.parts):
        facts = read_facts([str(root / p) for p in parts[EVENTS.name]])
        live_facts = []
    else:
        facts = _kept(staged_facts, events.losers)
        if (
            facts.height == 0
            and not _any(events.replaced)
            and all(parts.get(t.name) for t in DERIVED)
        ):
            return {}
    earlier = [pl.read_parquet([str(root / p) for p in live_facts])] if live_facts else []
    if earlier and _any(events.replaced):  # the facts of live events a better copy replaced
        earlier = [_without(earlier[0], events.replaced)]
    everything = pl.concat([*earlier, facts.select(PROFILE_FACTS.names)])
    if earlier and (len(live_facts) >= MAX_FACTS_PARTS or _any(events.replaced)):
        # A part per batch adds up, and replaced facts are gone: all facts in one part.
        live_facts = [_write(root, PROFILE_FACTS, everything, batch)]
    elif facts.height or not live_facts:
        live_facts.append(_write(root, PROFILE_FACTS, facts, batch))
    written = {PROFILE_FACTS.name: live_facts}
    for name, frame in derived_frames(everything).items():
        written[name] = [_write(root, TABLES[name], frame, batch)]
    return written


def derived_frames(facts: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Table name -> the rows of each analytic table, from all the warehouse's facts.

    Python sees the incident members alone (events whose role is not `context`: about 2%
    of the profile events of the bench fleet); the rest is done on columns."""
    facts = facts.sort(_ORDER, nulls_last=True)
    profile = _with_family(facts.filter(pl.col("kind").is_not_null()), _last_versions(facts))
    indexed = profile.with_row_index("event")
    members = indexed.filter(pl.col("role") != "context")
    leak_frame = (
        indexed.filter(pl.col("leaks").list.len() > 0)
        .select("host", "time_created", "event_id", "provider", "event", "leaks")
        .explode("leaks")
        .unnest("leaks")
        .select(_LEAK_FIELDS)
    )
    leaks = [LeakRow(*row) for row in leak_frame.iter_rows()]  # `event`: row of `profile`
    rows = members.get_column("event").to_list()
    local = {row: at for at, row in enumerate(rows)}
    accounts = account_sids_of(profile.group_by("user_name", "user_sid").len().rows())
    incidents, incident_of = group_incidents(
        _profile_events(members),
        members.get_column("os_family").to_list(),
        [leak._replace(event=local[leak.event]) for leak in leaks if leak.event in local],
        accounts,
    )
    offenders = rank_offenders(leaks, {rows[at]: i for at, i in incident_of.items()})
    return {
        PROFILE_EVENTS.name: _typed(PROFILE_EVENTS, profile),
        HIVE_LEAKS.name: _typed(HIVE_LEAKS, leak_frame),
        UNLOAD_INCIDENTS.name: _frame(UNLOAD_INCIDENTS, [tuple(i) for i in incidents]),
        OFFENDERS.name: _frame(OFFENDERS, [tuple(o) for o in offenders]),
        REMEDIATION.name: _frame(REMEDIATION, [tuple(r) for r in remediation_rows()]),
    }


def _last_versions(facts: pl.DataFrame) -> list[tuple[str | None, str]]:
    """Per host, the last version text (in time order) that names a family: the one
    `host_families` would decide by, whatever came before it. A host boots thousands of
    times; its versions are a handful of texts, each read once here."""
    booted = facts.filter(pl.col("version").is_not_null()).select("host", "version")
    texts = booted.get_column("version").unique().to_list()
    readable = [text for text in texts if family_from_version(text) is not None]
    return (
        booted.filter(pl.col("version").is_in(readable))
        .group_by("host", maintain_order=True)
        .last()
        .rows()
    )


def _with_family(profile: pl.DataFrame, versions: list[tuple[str | None, str]]) -> pl.DataFrame:
    """`profile` with `os_family`, decided per host (families.py) from each distinct
    (host, families of the event's catalog row)."""
    pairs = profile.select("host", "families").unique(maintain_order=True)
    rows = [(host, tuple(families)) for host, families in pairs.iter_rows()]
    decided = host_families(versions, rows)
    chosen = [family_of(host, families, decided) for host, families in rows]
    return profile.join(
        pairs.with_columns(os_family=pl.Series(chosen, dtype=pl.String())),
        on=["host", "families"],
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )


def _profile_events(profile: pl.DataFrame) -> list[ProfileEvent]:
    """The rows as grouping reads them; `families` through text, ~10 times faster than
    Polars converting each list."""
    rows = profile.select(_EVENT_FIELDS[:-1]).rows()
    joined = profile.get_column("families").list.join(";").to_list()
    families: dict[str, tuple[str, ...]] = {}
    return [
        ProfileEvent._make((*row, families.setdefault(text, tuple(text.split(";")))))
        for row, text in zip(rows, joined, strict=True)
    ]


def _kept(staged: Sequence[str], losers: Mapping[str, Sequence[int]]) -> pl.DataFrame:
    """The staged facts whose events the commit kept."""
    if not staged:
        return _empty()
    facts = pl.scan_ipc(list(staged)).collect()
    if any(losers.values()):
        gone = pl.DataFrame(
            {
                PART: pl.Series([part for part, rows in losers.items() for _ in rows]),
                ROW: pl.Series([row for rows in losers.values() for row in rows]),
            },
            schema={PART: pl.String(), ROW: pl.UInt32()},
        ).select(pl.struct(PART, ROW))
        # A filter, not an anti-join: joining gathers the nested columns ~15 times slower.
        facts = facts.filter(~pl.struct(PART, ROW).is_in(gone.to_series().implode()))
    return facts.drop(PART, ROW)


def _any(frame: pl.DataFrame | None) -> bool:
    return frame is not None and frame.height > 0


def _without(facts: pl.DataFrame, replaced: pl.DataFrame | None) -> pl.DataFrame:
    """`facts` less those of the `replaced` events (their identity and file_id)."""
    if replaced is None:
        return facts
    keys = [*EVENT_IDENTITY, "file_id"]
    return facts.join(replaced.select(keys), on=keys, how="anti", nulls_equal=True)


def _fresh(part: str) -> bool:
    """Whether a part (`...-<rules>.<suffix>`) was made by the rules of this version."""
    return Path(part).name.rsplit(".", 1)[0].endswith(f"-{rules()}")


def _write(root: Path, table: Table, frame: pl.DataFrame, batch: str) -> str:
    relative = f"{table.name}/part-{batch}-{rules()}.parquet"
    (root / table.name).mkdir(exist_ok=True)
    frame.select(table.names).write_parquet(root / relative, compression="zstd")
    return relative


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=PROFILE_FACTS.polars_schema)


def _typed(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(c.name).cast(c.polars_type) for c in table.columns)


def _frame(table: Table, rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    """`rows` typed as `table` declares, column by column. List columns go through JSON
    text: Polars builds a list from Python objects ~100 times slower than it parses one."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(table.columns)
    data: dict[str, pl.Series] = {}
    for column, values in zip(table.columns, columns, strict=True):
        kind = column.polars_type
        if isinstance(kind, pl.List):
            text = pl.Series(column.name, [orjson.dumps(v).decode() for v in values], pl.String())
            data[column.name] = text.str.json_decode(kind)
        else:
            data[column.name] = pl.Series(column.name, values, dtype=kind)
    return pl.DataFrame(data)
