"""The machines and users of the fleet: OS generations, names, formats, UPHClean set-ups.

The first hosts follow a fixed plan so that even a small fleet covers every OS generation
and every output format (see PLAN); further hosts are drawn with FLEET_MIX weights. Newer
machines are named by FQDN (WS-0142.corp.contoso.com), NT4-2003 ones by NetBIOS name.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Final

DOMAIN: Final = "CONTOSO"
DNS_SUFFIX: Final = "corp.contoso.com"
DOMAIN_SID: Final = "S-1-5-21-1004336348-1177238915-682003330"
COLLECTOR: Final = "WEC-01." + DNS_SUFFIX


@dataclass(frozen=True, slots=True)
class OsProfile:
    key: str
    family: str  # 'nt4' | 'win2000' | 'xp2003' | 'vista+' (shared/CONTRACT.md os_family)
    server: bool
    build: int
    version: tuple[int, int]
    hive_lock_events: bool = False  # 1545/1552: Windows 10 1803+ and Server 2019+
    info_1530: bool = False  # 1530 is informational from 8.1 / 2012 R2 on
    operational: bool = True  # the User Profile Service/Operational channel (7 / 2008 R2 on)


OS: Final[dict[str, OsProfile]] = {
    o.key: o
    for o in (
        OsProfile("nt4", "nt4", False, 1381, (4, 0), operational=False),
        OsProfile("win2000", "win2000", False, 2195, (5, 0), operational=False),
        OsProfile("xp", "xp2003", False, 2600, (5, 1), operational=False),
        OsProfile("2003", "xp2003", True, 3790, (5, 2), operational=False),
        OsProfile("vista", "vista+", False, 6002, (6, 0), operational=False),
        OsProfile("2008", "vista+", True, 6003, (6, 0), operational=False),
        OsProfile("7", "vista+", False, 7601, (6, 1)),
        OsProfile("2008r2", "vista+", True, 7601, (6, 1)),
        OsProfile("8.1", "vista+", False, 9600, (6, 3), info_1530=True),
        OsProfile("2012r2", "vista+", True, 9600, (6, 3), info_1530=True),
        OsProfile("10", "vista+", False, 19045, (10, 0), True, True),
        OsProfile("2016", "vista+", True, 14393, (10, 0), info_1530=True),
        OsProfile("2019", "vista+", True, 17763, (10, 0), True, True),
        OsProfile("11", "vista+", False, 22631, (10, 0), True, True),
    )
}


@dataclass(frozen=True, slots=True)
class User:
    name: str  # sAMAccountName
    rid: int

    @property
    def sid(self) -> str:
        return f"{DOMAIN_SID}-{self.rid}"

    @property
    def account(self) -> str:
        return f"{DOMAIN}\\{self.name}"


@dataclass(frozen=True, slots=True)
class Slot:
    """How one host is set up: OS, how its logs reach us, UPHClean, extras."""

    os: str
    delivery: str  # 'evtx' | 'evt' | 'xml' | 'forwarded' (only through ForwardedEvents)
    uphclean: str | None = None  # None | '1.6' (remaps: 1401) | '1.5' (closes: 1201) | 'report'
    uphclean_late: bool = False  # installed part-way through the period
    terminal_server: bool = False
    offline_files: bool = False
    lower_case_uphclean: bool = False


# The first hosts of every fleet, in order: each generation and delivery appears early.
PLAN: Final[tuple[Slot, ...]] = (
    Slot("10", "evtx", offline_files=True),
    Slot("xp", "evt", uphclean="1.6", uphclean_late=True),
    Slot("2016", "evtx", terminal_server=True),
    Slot("win2000", "evt", uphclean="1.5", lower_case_uphclean=True),
    Slot("7", "evtx", offline_files=True),
    Slot("2003", "xml", uphclean="report", terminal_server=True),
    Slot("11", "forwarded"),
    Slot("nt4", "evt"),
)

FLEET_MIX: Final[tuple[tuple[Slot, float], ...]] = (
    (Slot("10", "evtx"), 26),
    (Slot("10", "evtx", offline_files=True), 8),
    (Slot("11", "evtx"), 8),
    (Slot("10", "forwarded"), 5),
    (Slot("7", "evtx"), 8),
    (Slot("8.1", "evtx"), 3),
    (Slot("vista", "evtx"), 2),
    (Slot("2008r2", "evtx", terminal_server=True), 3),
    (Slot("2012r2", "evtx"), 3),
    (Slot("2016", "evtx", terminal_server=True), 3),
    (Slot("2019", "evtx"), 3),
    (Slot("2008", "evtx"), 1),
    (Slot("10", "xml"), 2),
    (Slot("xp", "evt", uphclean="1.6"), 8),
    (Slot("xp", "evt"), 4),
    (Slot("xp", "xml", uphclean="1.5"), 2),
    (Slot("2003", "evt", uphclean="1.6", terminal_server=True), 3),
    (Slot("2003", "evt"), 2),
    (Slot("2003", "xml", uphclean="1.6", lower_case_uphclean=True), 2),
    (Slot("win2000", "evt", uphclean="1.5"), 3),
    (Slot("win2000", "evt"), 1),
    (Slot("nt4", "evt"), 1),
)

_FIRST = (
    "anna",
    "bjorn",
    "carla",
    "dmitri",
    "eva",
    "farid",
    "greta",
    "hans",
    "ines",
    "jonas",
    "karin",
    "lars",
    "maja",
    "nils",
    "olga",
    "per",
    "rosa",
    "sven",
    "tove",
    "ulf",
    "vera",
    "wei",
    "yusuf",
    "zoe",
)
_LAST = (
    "berg",
    "söderström",
    "lund",
    "nielsen",
    "ærø",
    "holm",
    "kowalski",
    "martin",
    "novak",
    "okafor",
    "petersen",
    "quist",
    "rossi",
    "sato",
    "tanaka",
    "vik",
    "weiss",
    "åberg",
)


@dataclass
class Host:
    index: int
    name: str  # the computer name as logged
    os: OsProfile
    slot: Slot
    users: list[User]
    system_volume: int
    tag: str  # short, unique, for file and key names
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return self.os.family

    @property
    def era(self) -> str:
        return "new" if self.os.family == "vista+" else "old"


def allowed(slot: Slot, formats: frozenset[str]) -> Slot | None:
    """The slot adapted to the formats asked for, or None when none fits."""
    delivery = slot.delivery
    native = _native(slot)
    if delivery == "forwarded":
        return slot if "evtx" in formats else None
    if delivery in formats:
        return slot
    for alt in (native, "xml"):
        if alt in formats:
            return replace(slot, delivery=alt)
    return None


def plan_fleet(rng: random.Random, hosts: int, formats: frozenset[str]) -> list[Host]:
    slots: list[Slot] = []
    for slot in PLAN:
        if len(slots) == hosts:
            break
        fitted = allowed(slot, formats)
        if fitted is not None:
            slots.append(fitted)
    mix = [(s, w) for s, w in ((allowed(s, formats), w) for s, w in FLEET_MIX) if s is not None]
    while len(slots) < hosts and mix:
        s = rng.choices([m[0] for m in mix], [m[1] for m in mix])[0]
        assert s is not None
        slots.append(s)
    slots = _every_format(slots, formats)
    numbers = rng.sample(range(10, 9999), len(slots))
    pool = _user_pool(rng, max(6, hosts + hosts // 2))
    out: list[Host] = []
    for i, (slot, number) in enumerate(zip(slots, numbers, strict=True)):
        os = OS[slot.os]
        name = _computer_name(os, slot, number)
        users = _users_for(rng, pool, i, slot)
        volume = rng.choice((1, 2, 2, 3)) if os.family == "vista+" else 1
        out.append(Host(i, name, os, slot, users, volume, f"H{i:03d}"))
    return out


def _every_format(slots: list[Slot], formats: frozenset[str]) -> list[Slot]:
    """A small fleet still has a host of each format asked for: the last hosts of the
    most common delivery give way, each to a format that can deliver its OS's logs."""
    out = list(slots)
    for wanted in sorted(formats - {s.delivery for s in out}):
        counts = Counter(s.delivery for s in out)
        for i in reversed(range(len(out))):
            slot = out[i]
            if counts[slot.delivery] < 2 or slot.delivery == "forwarded":
                continue
            if wanted in ("xml", _native(slot)):
                out[i] = replace(slot, delivery=wanted)
                break
    return out


def _native(slot: Slot) -> str:
    return "evtx" if OS[slot.os].family == "vista+" else "evt"


def _computer_name(os: OsProfile, slot: Slot, number: int) -> str:
    if slot.terminal_server:
        prefix = "TS" if os.family != "vista+" else "RDS"
        base = f"{prefix}-{number % 100:02d}{number // 100:02d}"
    elif os.server:
        base = f"APP-{number:04d}"
    else:
        base = f"WS-{number:04d}"
    return base if os.family != "vista+" else f"{base}.{DNS_SUFFIX}"


def _user_pool(rng: random.Random, size: int) -> list[User]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < size:
        name = (rng.choice(_FIRST)[0] + rng.choice(_LAST))[:20]
        if name in seen:
            name = f"{name[:18]}{len(names) % 100:02d}"
        seen.add(name)
        names.append(name)
    rids = rng.sample(range(1105, 9000), size)
    return [User(n, r) for n, r in zip(names, rids, strict=True)]


def _users_for(rng: random.Random, pool: list[User], index: int, slot: Slot) -> list[User]:
    primary = pool[index % len(pool)]
    if slot.terminal_server:
        others = rng.sample(pool, min(len(pool), rng.randint(6, 10)))
    else:
        others = rng.sample(pool, rng.randint(0, 2))
    users = [primary] + [u for u in others if u != primary]
    return users
