"""Generate a fleet of event logs with its ground truth: `write_fleet(out, ...)`.

Layout of `out`:

    <computer>/Application.evtx, System.evtx,
               Microsoft-Windows-User Profile Service%4Operational.evtx
    <computer>/Archive-Application-<time>.evtx    an earlier, overlapping archive (first evtx host)
    <computer>/AppEvent.Evt, SysEvent.Evt         NT4-2003 hosts (XP logs wrap, 2000 logs are dirty)
    <computer>/Application.xml, System.xml, ...   XML exports (wevtutil shape; the first such host
                                                  has two overlapping Application exports, the
                                                  second in Event Viewer's "Save as XML" shape)
    WEC-01.corp.contoso.com/ForwardedEvents.evtx  Windows Event Forwarding from many computers:
                                                  what the subscription selects from the
                                                  forwarded-only hosts (profile providers, warnings
                                                  and errors, the profile Operational log), and the
                                                  profile events of two collected hosts (duplicates)
    damaged/<computer>/...                        with damage=True: damaged copies
    truth.json                                    the ground truth (pipeline/synth/truth.py)

Hosts are generated independently (one process per host when there are several cores);
the same arguments give byte-identical files.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pipeline.synth import catalog as C
from pipeline.synth import damage as D
from pipeline.synth.evt_writer import write_evt
from pipeline.synth.evtx_writer import EvtxStats, write_evtx
from pipeline.synth.hosts import COLLECTOR, Host, plan_fleet
from pipeline.synth.model import Record
from pipeline.synth.scenario import FLEET_START, RECORDS_PER_DAY, HostScenario, plan_coverage
from pipeline.synth.truth import (
    SCHEMA_VERSION,
    TRUTH_NOTES,
    incident_entry,
    iso_us,
    offenders,
)
from pipeline.synth.xml_writer import Shape, write_xml

ALL_FORMATS: Final = frozenset({"evtx", "evt", "xml"})
EVTX_NAMES: Final = {
    C.APPLICATION: "Application.evtx",
    C.SYSTEM: "System.evtx",
    C.PROFILE_OPERATIONAL: "Microsoft-Windows-User Profile Service%4Operational.evtx",
}
EVT_NAMES: Final = {C.APPLICATION: "AppEvent.Evt", C.SYSTEM: "SysEvent.Evt"}
XML_NAMES: Final = {
    C.APPLICATION: "Application.xml",
    C.SYSTEM: "System.xml",
    C.PROFILE_OPERATIONAL: "Microsoft-Windows-User Profile Service%4Operational.xml",
}
FORWARDED_PROVIDERS: Final = (C.PROFSVC, C.PROFGEN)


@dataclass(frozen=True)
class FleetSummary:
    files: int  # event log files written (not counting truth.json)
    records: int  # distinct records (identities) across all files
    hosts: int  # computers named in the logs
    incidents: int
    truth_path: Path
    records_written: int = 0  # records over all files, overlaps and damaged copies included
    damaged: int = 0


@dataclass(frozen=True)
class HostRole:
    """What a host's files look like beyond its delivery format."""

    archive: bool = False  # also an earlier, overlapping archive of Application.evtx
    split_xml: bool = False  # Application exported twice, with overlapping time ranges
    wrapped: bool = False  # .evt Application log has wrapped
    dirty: bool = False  # .evt System log copied while open
    forward_profile: bool = False  # its profile events also reach ForwardedEvents


@dataclass
class HostResult:
    host: dict[str, Any]
    files: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    forwarded: list[Record]
    identities: int
    spans: dict[str, EvtxStats] = field(default_factory=dict)


def _file_entry(path: str, fmt: str, records: list[Record], **extra: Any) -> dict[str, Any]:
    return {
        "path": path,
        "format": fmt,
        "records": len(records),
        "hosts": sorted({r.computer for r in records}),
        "channels": sorted({r.channel for r in records}),
        "record_ids": [records[0].record_id, records[-1].record_id] if records else None,
        **extra,
    }


def _write_host(
    host: Host,
    seed: int,
    days: int,
    coverage: list[str],
    out: str,
    role: HostRole,
    keep_spans: bool,
) -> HostResult:
    logs = HostScenario(host, seed, days, coverage).run()
    base = Path(out)
    folder = base / host.name
    files: list[dict[str, Any]] = []
    spans: dict[str, EvtxStats] = {}
    delivery = host.slot.delivery
    forwarded: list[Record] = []
    if delivery != "forwarded":
        folder.mkdir(parents=True, exist_ok=True)
    for channel, records in logs.channels.items():
        if delivery == "evtx":
            rel = f"{host.name}/{EVTX_NAMES[channel]}"
            stats = write_evtx(base / rel, records)
            files.append(_file_entry(rel, "evtx", records, chunks=stats.chunks))
            if keep_spans:
                spans[rel] = stats
            if role.archive and channel == C.APPLICATION and len(records) > 10:
                part = records[: len(records) * 3 // 5]
                stamp = iso_us(part[-1].time)[:19].replace(":", "-").replace("T", "-")
                rel = f"{host.name}/Archive-Application-{stamp}-000.evtx"
                stats = write_evtx(base / rel, part)
                files.append(_file_entry(rel, "evtx", part, chunks=stats.chunks, overlaps=True))
            if role.forward_profile:
                forwarded += [r for r in records if r.kind.provider in FORWARDED_PROVIDERS]
        elif delivery == "evt":
            rel = f"{host.name}/{EVT_NAMES[channel]}"
            wrap = len(records) * 2 // 5 if role.wrapped and channel == C.APPLICATION else None
            dirty = role.dirty and channel == C.SYSTEM
            st = write_evt(base / rel, records, wrap_after=wrap or None, dirty=dirty)
            files.append(_file_entry(rel, "evt", records, wrapped=st.wrapped, dirty=dirty))
        elif delivery == "xml":
            shape: Shape = "wevtutil"
            if role.split_xml and channel == C.APPLICATION:
                third = len(records) // 3
                parts: tuple[tuple[list[Record], Shape, str], ...] = (
                    (records[: 2 * third], "wevtutil", "Application-1.xml"),
                    (records[third:], "eventviewer", "Application-2.xml"),
                )
                for part, part_shape, name in parts:
                    rel = f"{host.name}/{name}"
                    write_xml(base / rel, part, part_shape)
                    files.append(_file_entry(rel, "xml", part, shape=part_shape, overlaps=True))
            else:
                rel = f"{host.name}/{XML_NAMES[channel]}"
                write_xml(base / rel, records, shape)
                files.append(_file_entry(rel, "xml", records, shape=shape))
        else:
            forwarded += [r for r in records if _subscribed(r)]
    channels = {
        channel: len(records) if delivery != "forwarded" else sum(map(_subscribed, records))
        for channel, records in logs.channels.items()
    }
    info = {
        "host": host.name,
        "os": host.os.key,
        "os_family": host.family,
        "server": host.os.server,
        "terminal_server": host.slot.terminal_server,
        "delivery": delivery,
        "uphclean": host.slot.uphclean,
        "users": [u.account for u in host.users],
        "records": sum(channels.values()),
        "channels": channels,
    }
    incidents = [incident_entry(i, host.os.key) for i in logs.incidents]
    return HostResult(info, files, incidents, forwarded, sum(channels.values()), spans)


def _subscribed(r: Record) -> bool:
    """The WEF subscription: profile events, warnings and errors, the profile Operational log."""
    return (
        r.kind.provider in FORWARDED_PROVIDERS
        or r.kind.level <= 3
        or r.channel == C.PROFILE_OPERATIONAL
    )


def _job(args: tuple[Any, ...]) -> HostResult:
    return _write_host(*args)


def _roles(hosts: list[Host]) -> dict[int, HostRole]:
    evtx = [h for h in hosts if h.slot.delivery == "evtx"]
    xml = [h for h in hosts if h.slot.delivery == "xml"]
    roles: dict[int, HostRole] = {}
    for h in hosts:
        roles[h.index] = HostRole(
            archive=bool(evtx) and h is evtx[0],
            split_xml=bool(xml) and h is xml[0],
            wrapped=h.slot.delivery == "evt" and h.os.key == "xp",
            dirty=h.slot.delivery == "evt" and h.family == "win2000",
            forward_profile=h in evtx[:2],
        )
    return roles


def _run(jobs: list[tuple[Any, ...]], workers: int) -> Iterator[HostResult]:
    if workers <= 1 or len(jobs) <= 1:
        yield from map(_job, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_job, jobs)


def _make_room(out: Path) -> None:
    """An empty or new folder, or one holding an earlier fleet, which is removed first (the
    files its truth.json lists, the truth and README.md): an old fleet's files must not
    stay beside a new truth. Anything else in the folder is no fleet's and is refused."""
    truth = out / "truth.json"
    if out.is_dir() and any(out.iterdir()):
        if not truth.is_file():
            raise FileExistsError(f"{out} is not empty and holds no fleet (no truth.json)")
        listed = [entry["path"] for entry in json.loads(truth.read_text("utf-8"))["files"]]
        for relative in [*listed, "truth.json", "README.md"]:
            (out / relative).unlink(missing_ok=True)
        for folder in sorted((d for d in out.rglob("*") if d.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
    out.mkdir(parents=True, exist_ok=True)


def write_fleet(
    out: Path,
    *,
    hosts: int = 12,
    days: int = 14,
    seed: int = 1,
    formats: frozenset[str] = ALL_FORMATS,
    damage: bool = False,
    progress: Callable[[int], None] | None = None,
    jobs: int | None = None,
) -> FleetSummary:
    """Write a fleet of `hosts` machines over `days` days into `out`, with `truth.json`.

    `progress`, when given, is called with the number of files just written (an increment).
    `jobs` caps the worker processes (default: the CPUs available).
    """
    if hosts < 1 or days < 1:
        raise ValueError("hosts and days must be at least 1")
    unknown = set(formats) - ALL_FORMATS
    if unknown or not formats:
        raise ValueError(f"formats must be a non-empty subset of {sorted(ALL_FORMATS)}")
    out = Path(out)
    _make_room(out)
    rng = random.Random(f"hivewatch-fleet-plan:{seed}")
    fleet = plan_fleet(rng, hosts, frozenset(formats))
    coverage = plan_coverage(fleet, days)
    roles = _roles(fleet)
    job_args = [(h, seed, days, coverage[h.index], str(out), roles[h.index], damage) for h in fleet]
    workers = jobs if jobs is not None else len(os.sched_getaffinity(0))
    results: list[HostResult] = []
    for result in _run(job_args, workers):
        results.append(result)
        if progress is not None and result.files:
            progress(len(result.files))

    files = [f for r in results for f in r.files]
    spans: dict[str, EvtxStats] = {k: v for r in results for k, v in r.spans.items()}
    forwarded = sorted(
        (rec for r in results for rec in r.forwarded), key=lambda rec: (rec.time, rec.computer)
    )
    if forwarded:
        rel = f"{COLLECTOR}/ForwardedEvents.evtx"
        (out / COLLECTOR).mkdir(exist_ok=True)
        stats = write_evtx(out / rel, forwarded, first_record_id=1)
        entry = _file_entry(rel, "evtx", forwarded, chunks=stats.chunks, forwarded=True)
        entry["record_ids"] = [stats.first_record_id, stats.next_record_id - 1]  # file's own ids
        files.append(entry)
        spans[rel] = stats
        if progress is not None:
            progress(1)
    damaged = _write_damage(out, files, spans) if damage else []
    if progress is not None and damaged:
        progress(len(damaged))
    files += damaged
    files.sort(key=lambda f: f["path"])

    incidents = [i for r in results for i in r.incidents]
    distinct = sum(r.identities for r in results)
    written = sum(f["records"] for f in files)
    truth = {
        "schema": SCHEMA_VERSION,
        "generator": {
            "seed": seed,
            "hosts": hosts,
            "days": days,
            "formats": sorted(formats),
            "damage": damage,
            "start": iso_us(FLEET_START),
            "records_per_host_per_day": RECORDS_PER_DAY,
        },
        "notes": TRUTH_NOTES,
        "class_precedence": list(C.CLASS_PRECEDENCE),
        "records": {"distinct": distinct, "written": written},
        "hive_leaks": sum(len(i["leaks"]) for i in incidents),
        "hosts": [r.host for r in results],
        "files": files,
        "incidents": incidents,
        "offenders": offenders(incidents),
    }
    truth_path = out / "truth.json"
    truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return FleetSummary(
        files=len(files),
        records=distinct,
        hosts=len(fleet),
        incidents=len(incidents),
        truth_path=truth_path,
        records_written=written,
        damaged=len(damaged),
    )


def _write_damage(
    out: Path, files: list[dict[str, Any]], spans: dict[str, EvtxStats]
) -> list[dict[str, Any]]:
    """Damaged copies of a few good files, under damaged/."""
    evtx = sorted(
        (
            f
            for f in files
            if f["format"] == "evtx" and f["path"] in spans and not f.get("forwarded")
        ),
        key=lambda f: (f["chunks"], f["path"]),
    )
    evt = [f for f in files if f["format"] == "evt" and not f.get("wrapped")]
    made: list[dict[str, Any]] = []

    def emit(src: dict[str, Any], d: D.Damaged, suffix: str) -> None:
        stem, ext = src["path"].rsplit(".", 1)
        rel = f"damaged/{stem}-{suffix}.{ext}"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(d.data)
        entry = {k: v for k, v in src.items() if k not in ("overlaps",)}
        entry.update(
            path=rel,
            damage={
                "kind": d.kind,
                "source": src["path"],
                "records_intact": d.records_intact,
                "detail": d.detail,
            },
        )
        made.append(entry)

    multi = [f for f in evtx if f["chunks"] >= 2]
    if multi:
        src = multi[0]
        st = spans[src["path"]]
        emit(
            src,
            D.stale_header((out / src["path"]).read_bytes(), st.spans, st.first_record_id),
            "stale",
        )
    others = [f for f in evtx if not multi or f is not multi[0]]
    if others:
        src = others[0]
        emit(
            src,
            D.truncated((out / src["path"]).read_bytes(), spans[src["path"]].spans),
            "truncated",
        )
    if len(others) > 1:
        src = others[1]
        emit(src, D.flipped((out / src["path"]).read_bytes(), spans[src["path"]].spans), "flipped")
    if evt:
        src = evt[0]
        emit(src, D.evt_truncated((out / src["path"]).read_bytes()), "truncated")
    return made
