"""Merging Parquet parts: a batch's small staged parts into one (event_parts.py), and a
table's small live parts into large ones, so that the parts of many batches do not slow
every query.

Each batch adds at least one `events` part and one `ingest_files` part, and files of
25,000 rows or more become parts of their own (event_parts.py). A query opens every part
it reads: over 2,000 parts of a thousand rows, DuckDB takes ~200 ms where one part of the
same rows takes 6 ms, and a report runs dozens of queries. So when a table holds
`COMPACT_AT` parts of fewer than `SMALL_ROWS` rows, the commit merges them, oldest first,
into parts of up to `MERGE_ROWS` rows. A merged part holds `SMALL_ROWS` or more unless it
is the last of its merge, so a table keeps fewer than `COMPACT_AT` small parts, and a row
is written again only while it belongs to a small part.

The merged parts replace the small ones in the batch's catalog swap, so a reader sees the
table before or after, with the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import duckdb
import polars as pl

from pipeline.store.schemas import Table
from pipeline.store.sqltext import literal_list

SMALL_ROWS = 250_000  # a live part of fewer rows is small
COMPACT_AT = 32  # this many small parts in a table are merged
MERGE_ROWS = 1_000_000  # rows per merged part, at most
MERGE_PARTS = 512  # parts per merged part, at most (bounds the size of one plan)


def compacted(root: Path, table: Table, parts: Sequence[str], batch: str) -> list[str] | None:
    """`parts` (relative to `root`) with the small ones merged, when there are `COMPACT_AT`
    of them; None when there are fewer. The small parts are deleted once the new catalog is
    in place (warehouse.py): until then the live catalog reads them."""
    if len(parts) < COMPACT_AT:
        return None
    with duckdb.connect() as con:
        counts = row_counts(con, [str(root / part) for part in parts])
    small = [part for part in parts if counts[str(root / part)] < SMALL_ROWS]
    if len(small) < COMPACT_AT:
        return None
    merged: list[str] = []
    for group in groups([str(root / part) for part in small], counts):
        relative = f"{table.name}/part-{batch}-c{len(merged):05d}.parquet"
        merge_parts(group, table, root / relative)
        merged.append(relative)
    gone = set(small)
    return [*(part for part in parts if part not in gone), *merged]


def row_counts(con: duckdb.DuckDBPyConnection, files: Sequence[str]) -> dict[str, int]:
    """File -> its rows, from the Parquet footers alone."""
    rows = con.execute(
        f"SELECT file_name, num_rows FROM parquet_file_metadata({literal_list(files)})"
    ).fetchall()
    return {name: int(count) for name, count in rows}


def groups(files: Sequence[str], counts: Mapping[str, int]) -> Iterator[list[str]]:
    """Consecutive files, as many as fit `MERGE_ROWS` rows and `MERGE_PARTS` files."""
    group: list[str] = []
    rows = 0
    for file in files:
        if group and (rows + counts[file] > MERGE_ROWS or len(group) >= MERGE_PARTS):
            yield group
            group, rows = [], 0
        group.append(file)
        rows += counts[file]
    if group:
        yield group


def merge_parts(
    files: Sequence[str],
    table: Table,
    path: Path,
    dropped: Mapping[str, Sequence[int]] | None = None,
) -> None:
    """One part of `table` from the files' rows, in their order, less the row numbers
    `dropped` names per file."""
    scans = []
    for file in files:
        scan = pl.scan_parquet(file)
        rows = (dropped or {}).get(file)
        if rows:
            scan = scan.with_row_index("_row").filter(~pl.col("_row").is_in(rows)).drop("_row")
        scans.append(scan)
    pl.concat(scans).select(table.names).sink_parquet(path, compression="zstd")
