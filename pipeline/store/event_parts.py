"""A batch's staged event parts -> live `events` parts holding only its new distinct rows.

The workers' parts already have the `events` columns, so the commit rewrites only what it
must. DuckDB reads the identity columns alone to find the losing copies: a row whose
identity is already live, or that a better copy in the batch holds. A copy from a file read
cleanly beats one from a file read with problems (`doubtful`: a chunk whose checksum does
not match may hold altered text, a damaged record only its header); then the smallest
file_id wins, then the first in that file, so the result does not depend on the order files
finished. A large part with no losing row is renamed into
`events/` as it is; the rest are merged, losers dropped, into parts of up to `MERGE_ROWS`
rows, so that many small input files do not become many small parts.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import NamedTuple

import duckdb
import polars as pl

from pipeline.store.schemas import EVENT_IDENTITY, EVENTS
from pipeline.store.sqltext import identifier, literal_list

PROMOTE_ROWS = 25_000  # a staged part this large, with nothing to drop, is kept as it is
MERGE_ROWS = 1_000_000  # rows per merged part, at most
MERGE_PARTS = 512  # staged parts per merged part, at most (bounds the size of one plan)


class EventCommit(NamedTuple):
    added: int  # distinct new events
    parts: list[str]  # the new `events` parts, relative to the warehouse
    losers: dict[str, list[int]]  # staged part -> its rows that were not kept


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
        counts = _row_counts(con, ordered)
        losers = _losers(con, ordered, live, doubtful)
    (root / EVENTS.name).mkdir(exist_ok=True)
    written: list[str] = []

    def place(parts: Sequence[str]) -> None:
        if sum(counts[p] - len(losers.get(p, ())) for p in parts) == 0:
            return  # every row is already live
        relative = f"{EVENTS.name}/part-{batch}-{len(written):05d}.parquet"
        if len(parts) == 1 and parts[0] not in losers:
            os.replace(parts[0], root / relative)
        else:
            _merge(parts, losers, root / relative)
        written.append(relative)

    group: list[str] = []
    group_rows = 0
    for part in ordered:
        if counts[part] >= PROMOTE_ROWS and part not in losers:
            place([part])
            continue
        if group and (group_rows + counts[part] > MERGE_ROWS or len(group) >= MERGE_PARTS):
            place(group)
            group, group_rows = [], 0
        group.append(part)
        group_rows += counts[part]
    if group:
        place(group)
    added = sum(counts.values()) - sum(len(rows) for rows in losers.values())
    return EventCommit(added, written, losers)


def _row_counts(con: duckdb.DuckDBPyConnection, parts: Sequence[str]) -> dict[str, int]:
    rows = con.execute(
        f"SELECT file_name, num_rows FROM parquet_file_metadata({literal_list(parts)})"
    ).fetchall()
    return {name: int(count) for name, count in rows}


# A row without a record number has no identity to share: two such rows may be two events
# (an export that left EventRecordID out), so neither is ever dropped for the other. A time
# that could not be read (NULL) is still part of one: the record number tells records apart.
_NUMBERED = "record_id IS NOT NULL"


def _losers(
    con: duckdb.DuckDBPyConnection,
    parts: Sequence[str],
    live: Sequence[str],
    doubtful: Collection[str],
) -> dict[str, list[int]]:
    """Staged part -> the row numbers in it whose identity is live or held by a better copy.

    Only identities seen more than once in the batch are ranked: sorting every row by its
    file name costs more than finding the few that repeat. Repeats are found on a hash of
    the identity (grouping one integer is faster than grouping four columns), and ranked
    on the identity itself, so a hash collision only costs a larger ranking."""
    key = ", ".join(identifier(c) for c in EVENT_IDENTITY)

    def same(left: str, right: str) -> str:
        return " AND ".join(
            f"{left}.{identifier(c)} IS NOT DISTINCT FROM {right}.{identifier(c)}"
            for c in EVENT_IDENTITY
        )

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
    if live:
        # Only live rows in the batch's time range can share an identity with it; the
        # filter lets DuckDB skip the row groups of older batches by their statistics.
        lo, hi, untimed = con.execute(
            "SELECT min(time_created), max(time_created), bool_or(time_created IS NULL)"
            f" FROM read_parquet({literal_list(parts)})"
        ).fetchone() or (None, None, False)
        when = ["time_created BETWEEN ? AND ?"] if lo is not None else []
        params += [lo, hi] if lo is not None else []
        when += ["time_created IS NULL"] if untimed else []
        sql += (
            " UNION SELECT filename, file_row_number FROM r SEMI JOIN"
            f" (SELECT {key} FROM read_parquet({literal_list(live)})"
            f"  WHERE ({' OR '.join(when) or 'false'}) AND {_NUMBERED}) e ON {same('r', 'e')}"
        )
    found: dict[str, list[int]] = defaultdict(list)
    for filename, row in con.execute(sql, params).fetchall():
        found[filename].append(int(row))
    return dict(found)


def _merge(group: Sequence[str], losers: dict[str, list[int]], path: Path) -> None:
    """One part from the group's rows, less their losers, in the group's order."""
    scans = []
    for part in group:
        scan = pl.scan_parquet(part)
        dropped = losers.get(part)
        if dropped:
            scan = scan.with_row_index("_row").filter(~pl.col("_row").is_in(dropped)).drop("_row")
        scans.append(scan)
    pl.concat(scans).select(EVENTS.names).sink_parquet(path, compression="zstd")
