"""Leaks -> offenders: one row per (process, key), ranked by hosts, then incidents.

Keys compare case-insensitively; the row shows the spelling most leaks use (ties: the
smallest). `users` counts distinct user SIDs, `incidents` the distinct incidents whose
events name the pair (a report-only UPHClean 1501 outside any incident names it in none),
`first_seen` / `last_seen` the times of the events naming it. Ties in the ranking are broken
by process name, then lower-cased key, so the order is total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from pipeline.derive.profile import LeakRow
from pipeline.normalize.leaks import key_spellings


class Offender(NamedTuple):
    process_name: str
    key: str
    incidents: int
    hosts: int
    users: int
    first_seen: datetime | None  # None: no leak of the pair has a readable time
    last_seen: datetime | None


def rank_offenders(leaks: Sequence[LeakRow], incident_of: Mapping[int, int]) -> list[Offender]:
    pairs: dict[tuple[str, str], list[LeakRow]] = {}
    for leak in leaks:
        pairs.setdefault((leak.process_name, leak.key.lower()), []).append(leak)
    rows: list[Offender] = []
    for (process, _), named in pairs.items():
        times = [leak.time_created for leak in named if leak.time_created is not None]
        rows.append(
            Offender(
                process_name=process,
                key=key_spellings(leak.key for leak in named)[0],
                incidents=len({incident_of[x.event] for x in named if x.event in incident_of}),
                hosts=len({leak.host for leak in named}),
                users=len({leak.user_sid for leak in named if leak.user_sid}),
                first_seen=min(times, default=None),
                last_seen=max(times, default=None),
            )
        )
    rows.sort(key=lambda o: (-o.hosts, -o.incidents, o.process_name, o.key.lower()))
    return rows
