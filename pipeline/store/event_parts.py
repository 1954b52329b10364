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


def _losers(
    con: duckdb.DuckDBPyConnection,
    parts: Sequence[str],
    live: Sequence[str],
    doubtful: Collection[str],
) -> tuple[dict[str, list[int]], pl.DataFrame | None]:
    """Staged part -> the row numbers in it that are not kept; and the live rows the
    batch's copies replace (`_LIVE_PART`, `_LIVE_ROW`, and the identity and file_id, by
    which their facts are found), or None when nothing is live.

    Only identities seen more than once in the batch are ranked: sorting every row by its
    file name costs more than finding the few that repeat. Repeats are found on a hash of
    the identity (grouping one integer is faster than grouping four columns), and ranked
    on the identity itself, so a hash collision only costs a larger ranking. One statement
    does it all: materialising the batch's identities as a table costs a third more.
    Doubtful live rows are looked for only when some file is doubtful at all."""
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
    )
    params: list[object] = [sorted(doubtful)]
    nothing = ", NULL" * (2 + len(EVENT_IDENTITY) + 1)  # the columns of a `won` row
    select = f" SELECT filename, file_row_number{nothing} FROM ranked WHERE copy > 1"
    if live:
        # A staged row whose identity is live loses to the live row; unless the live row
        # came from a doubtful file and the staged row is the batch's best copy (copy 1
        # or alone) from a clean file: then it has `won`, and the live row is replaced.
        where, more = _live_range(con, parts)
        select += (
            f" UNION ALL SELECT filename, file_row_number{nothing} FROM r SEMI JOIN"
            f"  (SELECT {key} FROM read_parquet({literal_list(live)}) WHERE {where}) e"
            f"  ON {_same('r', 'e')}"
        )
        params += more
        if doubtful:
            replaced = ", ".join(f"e.{identifier(c)}" for c in (*EVENT_IDENTITY, "file_id"))
            select += (
                " UNION ALL SELECT r.filename, r.file_row_number, e.filename,"
                f"  e.file_row_number, {replaced}"
                f" FROM r JOIN (SELECT {key}, file_id, filename, file_row_number"
                f"  FROM read_parquet({literal_list(live)}, filename = true,"
                "   file_row_number = true)"
                f"  WHERE {where} AND list_contains(?::VARCHAR[], file_id)) e"
                f"  ON {_same('r', 'e')}"
                " WHERE NOT list_contains(?::VARCHAR[], r.file_id) AND NOT EXISTS"
                "  (SELECT 1 FROM ranked k WHERE k.copy > 1 AND k.filename = r.filename"
                "   AND k.file_row_number = r.file_row_number)"
            )
            params += [*more, sorted(doubtful), sorted(doubtful)]
    found: dict[str, set[int]] = defaultdict(set)
    won: list[tuple[str, int]] = []
    lost: list[tuple[object, ...]] = []
    for name, row, *live_row in con.execute(sql + select, params).fetchall():
        if live_row[0] is None:
            found[name].add(int(row))
        else:
            won.append((name, int(row)))
            lost.append(tuple(live_row))
    for name, row in won:
        found[name].discard(row)
    schema = {_LIVE_PART: pl.String(), _LIVE_ROW: pl.Int64()}
    schema |= {c: EVENTS.polars_schema[c] for c in (*EVENT_IDENTITY, "file_id")}
    frame = pl.DataFrame(lost, schema=schema, orient="row") if live else None
    return {name: sorted(rows) for name, rows in found.items() if rows}, frame


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
