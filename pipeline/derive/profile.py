"""Candidate events -> profile events and the leaks they name, through the catalog.

Each candidate is looked up in the profile-event catalog (provider, event id, channel and,
for ids with several meanings, the text); its fields are read by the row's specs and its
leak body, if any, by the row's parser.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import orjson

from pipeline.normalize.leaks import Leak, LeakReport
from pipeline.normalize.leaks.detail import parse_detail
from pipeline.normalize.leaks.lock import parse_lock
from pipeline.normalize.leaks.uphclean import parse_uphclean, parse_uphclean_user
from pipeline.normalize.profile_catalog import (
    CatalogEntry,
    event_text,
    lookup,
    read_field,
    reads_text,
)


class Candidate(NamedTuple):
    """An `events` row whose (provider, event id) the catalog lists."""

    host: str | None
    channel: str | None
    provider: str | None
    event_id: int | None
    time_created: datetime | None  # None: the record's time could not be read
    record_id: int | None
    user_sid: str | None
    event_data: str | None
    file_id: str | None


class ProfileEvent(NamedTuple):
    """A `profile_events` row (less os_family, decided per host) and what grouping needs."""

    host: str | None
    time_created: datetime | None  # None: the record's time could not be read
    provider: str | None
    event_id: int | None
    kind: str
    user_sid: str | None
    user_name: str | None
    detail: str | None
    record_id: int | None
    file_id: str | None
    event_class: str | None
    role: str
    remediates: str | None
    families: tuple[str, ...]


class LeakRow(NamedTuple):
    """A `hive_leaks` row, with the index of the profile event that named it."""

    host: str | None
    time_created: datetime | None  # None: the record's time could not be read
    event_id: int | None
    provider: str | None
    user_sid: str | None
    hive: str
    process_id: int | None
    process_image: str
    process_name: str
    key: str
    handles: int
    event: int


class Reading(NamedTuple):
    """What the catalog reads from one profile event: its row, its fields, its leaks."""

    entry: CatalogEntry
    user_sid: str | None
    user_name: str | None
    detail: str | None
    leak_sid: str | None  # the user whose hives the leaks hold
    leaks: tuple[Leak, ...]


def read_event(
    provider: str | None,
    event_id: int | None,
    channel: str | None,
    security_sid: str | None,
    event_data: str | None,
) -> Reading | None:
    """The catalog's reading of one event, or None when it is no profile event."""
    data = _payload(event_data)
    text = event_text(data) if reads_text(provider, event_id) else ""
    entry = lookup(provider, event_id, channel, text)
    if entry is None:
        return None
    report = _leak_report(entry, data)
    user_sid = read_field(data, entry.user_sid, security_sid=security_sid)
    if user_sid is None and report is not None and entry.sid_from_leak:
        user_sid = report.user_sid
    return Reading(
        entry=entry,
        user_sid=user_sid,
        user_name=read_field(data, entry.user_name, security_sid=security_sid),
        detail=read_field(data, entry.detail, security_sid=security_sid),
        leak_sid=(report.user_sid or user_sid) if report is not None else None,
        leaks=report.leaks if report is not None else (),
    )


def profile_events(candidates: list[Candidate]) -> tuple[list[ProfileEvent], list[LeakRow]]:
    """The catalogued events among `candidates`, in their order, and their leaks."""
    events: list[ProfileEvent] = []
    leaks: list[LeakRow] = []
    for c in candidates:
        reading = read_event(c.provider, c.event_id, c.channel, c.user_sid, c.event_data)
        if reading is None:
            continue
        entry = reading.entry
        index = len(events)
        events.append(
            ProfileEvent(
                host=c.host,
                time_created=c.time_created,
                provider=c.provider,
                event_id=c.event_id,
                kind=entry.kind,
                user_sid=reading.user_sid,
                user_name=reading.user_name,
                detail=reading.detail,
                record_id=c.record_id,
                file_id=c.file_id,
                event_class=entry.event_class,
                role=entry.role,
                remediates=entry.remediates,
                families=entry.families,
            )
        )
        for leak in reading.leaks:
            leaks.append(
                LeakRow(
                    c.host,
                    c.time_created,
                    c.event_id,
                    c.provider,
                    reading.leak_sid,
                    *leak,
                    event=index,
                )
            )
    return events, leaks


def _payload(event_data: str | None) -> dict[str, Any] | None:
    if not event_data:
        return None
    value = orjson.loads(event_data)
    return value if isinstance(value, dict) else None


def _leak_report(entry: CatalogEntry, data: dict[str, Any] | None) -> LeakReport | None:
    """What the row's leak parser reads from the event; None for rows without one."""
    if entry.leak_parser == "detail":
        return parse_detail(read_field(data, entry.leak_body) or "")
    if entry.leak_parser == "uphclean":
        report = parse_uphclean(read_field(data, entry.leak_body) or "")
        if report.user_sid is None and report.user_name is None:
            name, sid = parse_uphclean_user(read_field(data, entry.leak_header) or "")
            report = report._replace(user_name=name, user_sid=sid)
        return report
    if entry.leak_parser == "lock":
        return parse_lock(read_field(data, entry.leak_image), read_field(data, entry.leak_pid))
    return None
