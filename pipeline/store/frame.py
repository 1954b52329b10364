"""Decoded rows -> a Polars frame of the `events` schema, typed by declaration."""

from __future__ import annotations

import polars as pl

from pipeline.records import EventRow
from pipeline.store.schemas import EVENTS

_DECODED = list(EventRow._fields)
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.fZ"


def frame(rows: list[EventRow], source_format: str, file_id: str) -> pl.DataFrame:
    """Type the rows column by column.

    Integers arrive as Python ints of any size; one out of its column's range (a corrupt
    Level of 300, say) becomes NULL rather than failing the file. Times are parsed in bulk,
    truncated to microseconds.
    """
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(_DECODED)
    data: dict[str, pl.Series] = {}
    for name, values in zip(_DECODED, columns, strict=True):
        target = EVENTS.polars_schema[name]
        if name == "time_created":
            text = pl.Series(name, values, dtype=pl.String())
            data[name] = text.str.to_datetime(_TIME_FORMAT, time_unit="us", strict=False)
        elif target == pl.String():
            data[name] = pl.Series(name, values, dtype=pl.String())
        else:
            wide = pl.Series(name, values, dtype=pl.Int64(), strict=False)
            data[name] = wide.cast(target, strict=False)
    n = len(rows)
    data["source_format"] = pl.Series("source_format", [source_format] * n, dtype=pl.String())
    data["file_id"] = pl.Series("file_id", [file_id] * n, dtype=pl.String())
    return pl.DataFrame(data).select(EVENTS.names)
