"""Profile events -> unload incidents: one per failed (or rescued) unload of one user's hives.

The grouping rule (docs/incidents.md):

1. Members are the profile events whose catalog role is `failure` or `related` (the 1516
   resolution, UPHClean's report-only 1501/1511); notifications, service start/stop and
   Offline Files events are context and never members.
2. Events are grouped by host and user. The user is the event's SID; an event that names
   only an account (`DOMAIN\\user`, as XP's 1517 does) takes the SID that account has in
   any event stating both (UPHClean's `DOMAIN\\user (SID)` header), else stands for itself
   by name; events naming no user (Application Popup 333) form their own group.
3. Within a group, in time order (then record id), an event more than WINDOW after the
   previous one starts a new incident; so an incident's events each lie within WINDOW of
   the one before, and two incidents of one user on one host are more than WINDOW apart.
4. An incident needs at least one `failure` event; a group of related events alone is none.
5. `class` is the first class, in CLASS_PRECEDENCE order, that any member signals;
   `remediated_by` is `profile_service` if a member says the service force-unloaded the
   hive (1530), else `uphclean` if UPHClean closed or remapped handles (1201, 1401), else
   `none`. `user_sid` and `user_name` are the first each member states (None when none
   does), `event_ids` the distinct event ids, `processes` and `keys` the distinct process
   names and keys of the leaks its events name, all sorted. Keys compare case-insensitively:
   each is listed once, in the spelling most of those leaks use (ties: the smallest).
6. `incident_id` is a hash of host, user and start time: stable across rebuilds.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from pipeline.derive.profile import LeakRow, ProfileEvent
from pipeline.normalize.leaks import key_spellings
from pipeline.normalize.profile_catalog import CLASS_PRECEDENCE, REMEDIES

WINDOW = timedelta(minutes=15)
ACCOUNT = "account:"  # the user key of an account name no event links to a SID


class Incident(NamedTuple):
    incident_id: str
    host: str | None
    user_sid: str | None
    user_name: str | None
    started: datetime
    ended: datetime
    os_family: str
    event_class: str
    remediated_by: str
    event_ids: list[int]
    processes: list[str]
    keys: list[str]


def group_incidents(
    events: Sequence[ProfileEvent],
    families: Sequence[str],
    leaks: Sequence[LeakRow],
    accounts: Mapping[str, str] | None = None,
) -> tuple[list[Incident], dict[int, int]]:
    """The incidents of `events` (`families[i]` is the os_family of `events[i]`), and which
    incident each member event fell in (event index -> incident index).

    `accounts` (`account_sids`) is by default read from `events`; a caller passing only the
    members gives it read from every profile event."""
    account_sids = (
        accounts
        if accounts is not None
        else account_sids_of((e.user_name, e.user_sid, 1) for e in events)
    )
    # An event whose time could not be read cannot be placed in a logoff: it stays in
    # `profile_events` and `hive_leaks`, and belongs to no incident.
    times = {
        i: e.time_created
        for i, e in enumerate(events)
        if e.role != "context" and e.time_created is not None
    }
    users = _users(events, times, account_sids)
    members = sorted(
        times, key=lambda i: (events[i].host or "", users[i], times[i], events[i].record_id or 0)
    )
    groups: list[list[int]] = []
    previous: int | None = None
    for index in members:
        if (
            previous is None
            or (events[index].host, users[index]) != (events[previous].host, users[previous])
            or times[index] - times[previous] > WINDOW
        ):
            groups.append([])
        groups[-1].append(index)
        previous = index
    leaks_of: dict[int, list[LeakRow]] = {}
    for leak in leaks:
        leaks_of.setdefault(leak.event, []).append(leak)
    incidents: list[Incident] = []
    incident_of: dict[int, int] = {}
    for group in groups:
        if not any(events[i].event_class for i in group):
            continue
        for i in group:
            incident_of[i] = len(incidents)
        user = users[group[0]]
        incidents.append(
            _incident(
                [events[i] for i in group],
                (times[group[0]], times[group[-1]]),
                families[group[0]],
                [leak for i in group for leak in leaks_of.get(i, [])],
                user,
            )
        )
    return incidents, incident_of


def _incident(
    members: list[ProfileEvent],
    span: tuple[datetime, datetime],
    family: str,
    leaks: list[LeakRow],
    user: str,
) -> Incident:
    started, ended = span
    host = members[0].host
    classes = {e.event_class for e in members if e.event_class}
    remedies = {e.remediates for e in members if e.remediates}
    digest = hashlib.sha1(f"{host}\x1f{user}\x1f{started.isoformat()}".encode()).hexdigest()
    return Incident(
        incident_id=digest[:16],
        host=host,
        user_sid=next((e.user_sid for e in members if e.user_sid), None),
        user_name=next((e.user_name for e in members if e.user_name), None),
        started=started,
        ended=ended,
        os_family=family,
        event_class=min(classes, key=CLASS_PRECEDENCE.index),
        remediated_by=min(remedies, key=REMEDIES.index) if remedies else "none",
        event_ids=sorted({e.event_id for e in members if e.event_id is not None}),
        processes=sorted({leak.process_name for leak in leaks}),
        keys=key_spellings(leak.key for leak in leaks),
    )


def account_sids_of(stated: Iterable[tuple[str | None, str | None, int]]) -> dict[str, str]:
    """Account name (lower case) -> the SID events most often state beside it; `stated`:
    (user_name, user_sid, how many events state that pair)."""
    seen: dict[str, Counter[str]] = {}
    for name, sid, count in stated:
        if name and sid:
            seen.setdefault(name.lower(), Counter())[sid] += count
    return {name: min(counts, key=lambda sid: (-counts[sid], sid)) for name, counts in seen.items()}


def _users(
    events: Sequence[ProfileEvent], times: Mapping[int, datetime], account_sids: Mapping[str, str]
) -> dict[int, str]:
    """Who each timed member is about (`_user_key`). An account no event links to a SID
    (XP's 1517 names DOMAIN\\user and nothing else) is taken to be the one user whose SID
    the host's members state within `WINDOW` of it, when there is exactly one: the same
    logoff, told by an event that names the account and one that gives the SID."""
    users = {i: _user_key(events[i], account_sids) for i in times}
    stated: dict[str | None, list[tuple[datetime, str]]] = {}
    for i, user in users.items():
        if user and not user.startswith(ACCOUNT):
            stated.setdefault(events[i].host, []).append((times[i], user))
    for sightings in stated.values():
        sightings.sort()
    for i, user in users.items():
        if not user.startswith(ACCOUNT):
            continue
        near = stated.get(events[i].host, [])
        first = bisect.bisect_left(near, (times[i] - WINDOW, ""))
        last = bisect.bisect_right(near, (times[i] + WINDOW, "\uffff"))
        sids = {sid for _, sid in near[first:last]}
        if len(sids) == 1:
            users[i] = sids.pop()
    return users


def _user_key(event: ProfileEvent, account_sids: Mapping[str, str]) -> str:
    if event.user_sid:
        return event.user_sid
    if event.user_name:
        name = event.user_name.lower()
        return account_sids.get(name, ACCOUNT + name)
    return ""
