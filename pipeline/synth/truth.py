"""Ground truth for a generated fleet (`truth.json`), derived from what was written.

Incidents, their leaks and the offenders ranking follow shared/CONTRACT.md:
`process_name` is the lower-case file name, `key` is HKCU-relative, `handles` counts
identical lines merged. Times are UTC ISO-8601 with microseconds ('...T10:11:12.123456Z'),
the precision of a DuckDB TIMESTAMP. TRUTH_NOTES (written into the file) spells out
the conventions a comparison must follow.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

from pipeline.synth import catalog as C
from pipeline.synth.bodies import device_path
from pipeline.synth.model import SYSTEM_SID, Record, iso_time
from pipeline.synth.scenario import Incident, LoggedEvent

SCHEMA_VERSION: Final = 1

TRUTH_NOTES: Final = {
    "identity": "A record is (host, channel, record_id, time_created); record_id is "
    "System/EventRecordID (in ForwardedEvents.evtx the source computer's id, not the id in "
    "the file's record header); the channel of an .evt record comes from the file name "
    "(AppEvent.Evt = Application, SysEvent.Evt = System).",
    "incident": "One logoff (or logon) of one user on one host. event_ids are its profile "
    "events (context_events, the Operational 3/4 notifications around it, are listed apart). "
    "Events of one incident lie within 15 minutes; incidents of one user on one host are at "
    "least 20 minutes apart.",
    "class": "The first class in class_precedence that any event of the incident signals.",
    "remediated_by": "profile_service when a 1530 is present, uphclean when a UPHClean 1201 "
    "or 1401 is present, else none.",
    "user": "user_sid / user_name are what the incident's events state (null when none "
    "does: an XP 1517 names DOMAIN\\user but is logged by SYSTEM); account is who it was.",
    "offenders": "One row per (process_name, lower(key)); key shows the most frequent "
    "spelling. Ordered by hosts desc, incidents desc, process_name, lower(key). users "
    "counts distinct user SIDs; first_seen/last_seen are the times of the events naming the "
    "pair.",
    "files": "records is what the file holds; record_ids the first and last record id of its "
    "record headers (the EventRecordIDs, except in ForwardedEvents.evtx); for damaged copies "
    "records_intact is the number of records whose bytes are complete and unchanged (a floor "
    "for a reader).",
}


def iso_us(filetime: int) -> str:
    """FILETIME -> ISO-8601 UTC with microseconds."""
    return iso_time(filetime, 6)


def event_ref(r: Record) -> dict[str, Any]:
    return {
        "provider": r.kind.provider,
        "event_id": r.kind.event_id,
        "channel": r.channel,
        "record_id": r.record_id,
        "time_created": iso_us(r.time),
    }


def _logged_process_image(e: LoggedEvent, image: str, system_volume: int) -> str:
    event_id = e.record.kind.event_id
    if e.record.kind.provider.lower() == C.UPHCLEAN.lower():
        return image.rsplit("\\", 1)[-1]
    if event_id in (1545, 1552):
        return "C:\\" + image
    return device_path(image, system_volume)


def _stated_user(incident: Incident) -> tuple[str | None, str | None]:
    """The SID and DOMAIN\\user the incident's own events state."""
    user = incident.user
    if user is None:
        return None, None
    sid = name = None
    for e in incident.events:
        r = e.record
        texts = [v for v in r.data_values if isinstance(v, str)]
        if r.user_sid == user.sid or any(user.sid in t for t in texts):
            sid = user.sid
        if any(user.account in t for t in texts):
            name = user.account
    return sid, name


def incident_entry(incident: Incident, host_os: str) -> dict[str, Any]:
    sid, name = _stated_user(incident)
    leaks: list[dict[str, Any]] = []
    for e in incident.events:
        merged: dict[tuple[str, int, str], dict[str, Any]] = {}
        for leak in e.leaks:
            key = (leak.process_name, leak.pid, leak.key.lower())
            if key in merged:
                merged[key]["handles"] += leak.handles
                continue
            merged[key] = {
                "event_id": e.record.kind.event_id,
                "provider": e.record.kind.provider,
                "record_id": e.record.record_id,
                "time_created": iso_us(e.record.time),
                "user_sid": incident.user.sid if incident.user else None,
                "hive": leak.hive,
                "process_id": leak.pid,
                "process_image": _logged_process_image(e, leak.image, incident.host.system_volume),
                "process_name": leak.process_name,
                "key": leak.key,
                "handles": leak.handles,
            }
        leaks.extend(merged.values())
    times = [e.record.time for e in incident.events]
    return {
        "host": incident.host.name,
        "os": host_os,
        "os_family": incident.host.family,
        "user_sid": sid,
        "user_name": name,
        "account": (
            {"name": incident.user.account, "sid": incident.user.sid} if incident.user else None
        ),
        "class": incident.incident_class,
        "remediated_by": incident.remediated_by,
        "script": incident.script,
        "started": iso_us(min(times)),
        "ended": iso_us(max(times)),
        "event_ids": sorted({e.record.kind.event_id for e in incident.events}),
        "events": [{**event_ref(e.record), "class": e.event_class} for e in incident.events],
        "context_events": [event_ref(r) for r in incident.context],
        "processes": sorted({leak["process_name"] for leak in leaks}),
        "keys": _one_spelling_each([leak["key"] for leak in leaks]),
        "leaks": leaks,
    }


def _one_spelling_each(keys: list[str]) -> list[str]:
    """Keys compare case-insensitively: one entry per key, in its most used spelling (ties:
    the smallest), ordered by the lower-cased key."""
    by_key: dict[str, Counter[str]] = {}
    for key in keys:
        by_key.setdefault(key.lower(), Counter())[key] += 1
    return [
        min(by_key[lower].items(), key=lambda kv: (-kv[1], kv[0]))[0] for lower in sorted(by_key)
    ]


def offenders(incidents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The expected `offenders` table."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for n, inc in enumerate(incidents):
        for leak in inc["leaks"]:
            gk = (leak["process_name"], leak["key"].lower())
            g = groups.setdefault(
                gk,
                {
                    "incidents": set(),
                    "hosts": set(),
                    "users": set(),
                    "times": [],
                    "spellings": Counter(),
                },
            )
            g["incidents"].add(n)
            g["hosts"].add(inc["host"])
            if leak["user_sid"] and leak["user_sid"] != SYSTEM_SID:
                g["users"].add(leak["user_sid"])
            g["times"].append(leak["time_created"])
            g["spellings"][leak["key"]] += 1
    rows = []
    for (process, key_lower), g in groups.items():
        spelling = min(g["spellings"].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        rows.append(
            {
                "process_name": process,
                "key": spelling,
                "incidents": len(g["incidents"]),
                "hosts": len(g["hosts"]),
                "users": len(g["users"]),
                "first_seen": min(g["times"]),
                "last_seen": max(g["times"]),
                "_order": (-len(g["hosts"]), -len(g["incidents"]), process, key_lower),
            }
        )
    rows.sort(key=lambda r: r["_order"])
    for r in rows:
        del r["_order"]
    return rows
