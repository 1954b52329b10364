"""`--since`: a date (`2026-01-01`), a timestamp (`2026-01-01T06:00`), or an age (`7d`, `4w`).

Dates and timestamps are UTC. An age counts back from the moment the report is made, so a
weekly schedule with `--since 7d` covers the last seven days.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pipeline.errors import UsageError
from pipeline.report.model import Period

_AGE = re.compile(r"(\d{1,5})([dw])")
_UNITS = {"d": 1, "w": 7}


def parse_period(since: str | None, now: datetime) -> Period:
    """The period from `since` to `now` (an aware UTC datetime); UsageError when malformed."""
    generated = now.astimezone(UTC).replace(tzinfo=None)
    if since is None:
        return Period(since=None, generated=generated, label="all events in the warehouse")
    text = since.strip()
    age = _AGE.fullmatch(text.lower())
    if age:
        days = int(age.group(1)) * _UNITS[age.group(2)]
        start = generated - timedelta(days=days)
        return Period(since=start, generated=generated, label=f"the last {text.lower()}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--since {since!r}: want a date (2026-01-01), a UTC time (2026-01-01T06:00)"
            " or an age (7d, 4w)"
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    if parsed > generated:
        raise UsageError(f"--since {since!r} is in the future")
    return Period(since=parsed, generated=generated, label=f"since {parsed.isoformat(sep=' ')}")
