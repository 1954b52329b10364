"""A batch's staged event parts -> live `events` parts holding only its new distinct rows.

The workers' parts already have the `events` columns, so the commit rewrites only what it
must. DuckDB reads the identity columns alone to find the losing copies: a row whose
identity is already live, or that a better copy in the batch holds. A copy from a file read
cleanly beats one from a file read with problems (`doubtful`: a chunk whose checksum does
not match may hold altered text, a damaged record only its header); then the smallest
file_id wins, then the first in that file, so the result does not depend on the order files
finished. A live row is kept over a copy in the batch, unless the live row came from a file
read with problems and the batch's best copy from one read cleanly: then the batch's copy
replaces it, its live part rewritten without it, so the order batches came in does not
decide what is stored either. A large part with no losing row is renamed into
`events/` as it is; the rest are merged, losers dropped, into parts of up to
`compact.MERGE_ROWS` rows, so that many small input files do not become many small parts.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import NamedTuple

import duckdb
import polars as pl

from pipeline.store.compact import groups, merge_parts, row_counts
from pipeline.store.schemas import EVENT_IDENTITY, EVENTS
from pipeline.store.sqltext import identifier, literal_list

PROMOTE_ROWS = 25_000  # a staged part this large, with nothing to drop, is kept as it is


class EventCommit(NamedTuple):
    added: int  # distinct new events (a replaced live row is not new)
    parts: list[str]  # the new `events` parts, relative to the warehouse
    losers: dict[str, list[int]]  # staged part -> its rows that were not kept
    retired: tuple[str, ...] = ()  # live parts, relative, no longer live (their rows that
    # stay are in `parts`)
    replaced: pl.DataFrame | None = None  # identity and file_id of the live rows replaced


def commit_event_parts(
    root: Path,
    staged: Sequence[str],
    live: Sequence[str],
    batch: str,
    doubtful: Collection[str] = (),
) -> EventCommit:
    """Move the batch's new distinct events into `events/`. `staged` and `live` are
    absolute paths; `doubtful` the file_ids of files read with problems."""
    if not staged:
        return EventCommit(0, [], {})
    ordered = sorted(staged, key=lambda p: Path(p).name)  # <file_id>.<index>.parquet
    with duckdb.connect() as con:  # one connection: each costs ~15 ms to open
        counts = row_counts(con, ordered)
        losers, replaced = _losers(con, ordered, live, doubtful)
    (root / EVENTS.name).mkdir(exist_ok=True)
    written: list[str] = []
    retired = _rewrite_live(root, replaced, batch, written)
    promoted = {p for p in ordered if counts[p] >= PROMOTE_ROWS and p not in losers}
    for part in (p for p in ordered if p in promoted):
        os.replace(part, root / _next_part(batch, written))
    rest = [p for p in ordered if p not in promoted]
    for group in groups(rest, counts):
        if sum(counts[p] - len(losers.get(p, ())) for p in group):  # else all already live
            merge_parts(group, EVENTS, root / _next_part(batch, written), losers)
    gone = replaced.height if replaced is not None else 0
    added = sum(counts.values()) - sum(len(rows) for rows in losers.values()) - gone
    return EventCommit(added, written, losers, tuple(retired), replaced)


def _next_part(batch: str, written: list[str]) -> str:
    """The name of the batch's next `events` part, relative, noted in `written`."""
    written.append(f"{EVENTS.name}/part-{batch}-{len(written):05d}.parquet")
    return written[-1]


def _rewrite_live(
    root: Path, replaced: pl.DataFrame | None, batch: str, written: list[str]
) -> list[str]:
    """Each live part holding replaced rows, written again without them (appended to
    `written`); the live parts so retired, relative to the warehouse."""
    if replaced is None or replaced.height == 0:
        return []
    retired: list[str] = []
    for (part,), rows in replaced.group_by(_LIVE_PART, maintain_order=True):
        dropped = rows.get_column(_LIVE_ROW).to_list()
        if pl.scan_parquet(part).select(pl.len()).collect().item() > len(dropped):
            merge_parts([part], EVENTS, root / _next_part(batch, written), {part: dropped})
        retired.append(Path(part).relative_to(root).as_posix())
    return retired


# A row without a record number has no identity to share: two such rows may be two events
# (an export that left EventRecordID out), so neither is ever dropped for the other. A time
# that could not be read (NULL) is still part of one: the record number tells records apart.
_NUMBERED = "record_id IS NOT NULL"
_LIVE_PART = "_live_part"  # a replaced live row: its part, its row number there
_LIVE_ROW = "_live_row"
_BY = "_by"  # and the staged copy replacing it
_BY_ROW = "_by_row"


def _losers(
    con: duckdb.DuckDBPyConnection,
    parts: Sequence[str],
    live: Sequence[str],
    doubtful: Collection[str],
) -> tuple[dict[str, list[int]], pl.DataFrame | None]:
    """Staged part -> the row numbers in it that are not kept; and the live rows the
    batch's copies replace (`_replaced`), or None when nothing is live.

    Only identities seen more than once in the batch are ranked: sorting every row by its
    file name costs more than finding the few that repeat. Repeats are found on a hash of
    the identity (grouping one integer is faster than grouping four columns), and ranked
    on the identity itself, so a hash collision only costs a larger ranking."""
    key = ", ".join(identifier(c) for c in EVENT_IDENTITY)
    sql = (
        f"WITH r AS (SELECT {key}, hash({key}) AS _h, file_id, filename, file_row_number"
        f"  FROM read_parquet({literal_list(parts)}, filename = true, file_row_number = true)"
        f"  WHERE {_NUMBERED}),"
        " repeated AS (SELECT _h FROM r GROUP BY _h HAVING count(*) > 1),"
        f" ranked AS (SELECT r.*, row_number() OVER (PARTITION BY {key}"
        "   ORDER BY list_contains(?::VARCHAR[], file_id), file_id, filename, file_row_number)"
        "   AS copy"
        "  FROM r SEMI JOIN repeated d ON r._h = d._h)"
        " SELECT filename, file_row_number FROM ranked WHERE copy > 1"
    )
    params: list[object] = [sorted(doubtful)]
    replaced = None
    if live:
        where, more = _live_range(con, parts)
        sql += (
            " UNION SELECT filename, file_row_number FROM r SEMI JOIN"
            f" (SELECT {key} FROM read_parquet({literal_list(live)}) WHERE {where}) e"
            f" ON {_same('r', 'e')}"
        )
        params += more
        replaced = _replaced(con, parts, live, doubtful, (where, more))
    found: dict[str, list[int]] = defaultdict(list)
    for filename, row in con.execute(sql, params).fetchall():
        found[filename].append(int(row))
    kept: dict[str, set[int]] = defaultdict(set)  # the copies that replace a live row
    for filename, row in replaced.select(_BY, _BY_ROW).iter_rows() if replaced is not None else ():
        kept[filename].add(row)
    for filename, rows in kept.items():
        found[filename] = [row for row in found[filename] if row not in rows]
    return {name: rows for name, rows in found.items() if rows}, replaced


def _replaced(
    con: duckdb.DuckDBPyConnection,
    parts: Sequence[str],
    live: Sequence[str],
    doubtful: Collection[str],
    live_range: tuple[str, list[object]],
) -> pl.DataFrame:
    """The live rows from doubtful files that a staged row from a clean file replaces:
    `_LIVE_PART`, `_LIVE_ROW`, their identity and file_id (by which their facts are found),
    and the staged copy that replaces each (`_BY`, `_BY_ROW`): of the clean copies, the one
    the batch's ranking puts first (smallest file_id, then part, then row)."""
    schema = {_LIVE_PART: pl.String(), _LIVE_ROW: pl.Int64()}
    schema |= {c: EVENTS.polars_schema[c] for c in (*EVENT_IDENTITY, "file_id")}
    schema |= {_BY: pl.String(), _BY_ROW: pl.Int64()}
    if not doubtful:
        return pl.DataFrame(schema=schema)
    where, params = live_range
    key = ", ".join(identifier(c) for c in EVENT_IDENTITY)
    live_key = ", ".join(f"e.{identifier(c)}" for c in EVENT_IDENTITY)
    chosen = "min((r.file_id, r.filename, r.file_row_number))"
    rows = con.execute(
        f"SELECT e.filename, e.file_row_number, {live_key}, e.file_id, {chosen}[2], {chosen}[3]"
        f" FROM read_parquet({literal_list(parts)}, filename = true, file_row_number = true) r"
        f" JOIN (SELECT {key}, file_id, filename, file_row_number"
        f"  FROM read_parquet({literal_list(live)}, filename = true, file_row_number = true)"
        f"  WHERE {where} AND list_contains(?::VARCHAR[], file_id)) e ON {_same('r', 'e')}"
        " WHERE NOT list_contains(?::VARCHAR[], r.file_id)"
        f" GROUP BY ALL ORDER BY e.filename, e.file_row_number",
        [*params, sorted(doubtful), sorted(doubtful)],
    ).fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _live_range(con: duckdb.DuckDBPyConnection, parts: Sequence[str]) -> tuple[str, list[object]]:
    """The condition on live rows that can share an identity with the batch's, and its
    parameters: in the batch's time range, the filter lets DuckDB skip the row groups of
    older batches by their statistics; or without a time, as some of the batch's are."""
    lo, hi, untimed = con.execute(
        "SELECT min(time_created), max(time_created), bool_or(time_created IS NULL)"
        f" FROM read_parquet({literal_list(parts)})"
    ).fetchone() or (None, None, False)
    when = ["time_created BETWEEN ? AND ?"] if lo is not None else []
    when += ["time_created IS NULL"] if untimed else []
    params: list[object] = [lo, hi] if lo is not None else []
    return f"({' OR '.join(when) or 'false'}) AND {_NUMBERED}", params


def _same(left: str, right: str) -> str:
    return " AND ".join(
        f"{left}.{identifier(c)} IS NOT DISTINCT FROM {right}.{identifier(c)}"
        for c in EVENT_IDENTITY
    )
