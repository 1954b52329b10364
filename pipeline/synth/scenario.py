"""One host's period: sessions, incidents (scripted logoff failures) and background noise.

Everything is drawn from a `random.Random` seeded by (fleet seed, host), so a host's logs
do not depend on how many other hosts there are or on which process generates them.

An incident is one failed (or rescued) unload of one user's hives at one logoff: the
profile events it produced (`LoggedEvent`, each with the incident class it signals and
the leaks it names) plus context events (Operational 3/4 around it). Scripts below
produce each incident shape of shared/domain.md per OS generation.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Final

from pipeline.synth import catalog as C
from pipeline.synth.background import Background, guid, table, user_sid_for
from pipeline.synth.bodies import (
    DetailQuirks,
    classic_detail,
    detail_1530,
    uphclean_body,
    uphclean_user,
)
from pipeline.synth.hosts import Host, User
from pipeline.synth.model import SYSTEM_SID, EventKind, Record, unix_us_to_filetime
from pipeline.synth.offenders import Leak, OffenderPicker, pid

FLEET_START: Final = unix_us_to_filetime(1_709_510_400 * 1_000_000)  # 2024-03-04T00:00:00Z
SECOND: Final = 10_000_000
DAY: Final = 86_400 * SECOND
RECORDS_PER_DAY: Final = 200


@dataclass(slots=True)
class LoggedEvent:
    record: Record
    event_class: str | None  # the incident class this event signals (None: context only)
    leaks: list[Leak] = field(default_factory=list)


@dataclass
class Incident:
    host: Host
    user: User | None
    script: str
    events: list[LoggedEvent]
    context: list[Record] = field(default_factory=list)

    @property
    def incident_class(self) -> str:
        present = {e.event_class for e in self.events}
        return next(c for c in C.CLASS_PRECEDENCE if c in present)

    @property
    def remediated_by(self) -> str:
        ids = {(e.record.kind.provider.lower(), e.record.kind.event_id) for e in self.events}
        if (C.PROFSVC.lower(), 1530) in ids:
            return "profile_service"
        if (C.UPHCLEAN.lower(), 1201) in ids or (C.UPHCLEAN.lower(), 1401) in ids:
            return "uphclean"
        return "none"


@dataclass
class HostLogs:
    host: Host
    channels: dict[str, list[Record]]  # in log order, record ids assigned
    incidents: list[Incident]


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    logon: int
    logoff: int
    session_id: int


class Context:
    """Per-host state the scripts draw on."""

    def __init__(self, host: Host, rng: random.Random, days: int) -> None:
        self.host = host
        self.rng = rng
        self.days = days
        self.picker = OffenderPicker(rng, host.era, host.tag)
        self.records: list[Record] = []
        self.profsvc_pid = pid(rng)
        lower = host.slot.lower_case_uphclean
        self.uph = {k: C.lower_case_source(v) if lower else v for k, v in C.UPHCLEAN_KINDS.items()}
        self.kind_1530 = C.PROFSVC_1530_INFO if host.os.info_1530 else C.PROFSVC_KINDS[1530]

    def emit(
        self,
        kind: EventKind,
        t: int,
        values: tuple[Any, ...],
        sid: str | None = None,
        *,
        manifest_pid: int | None = None,
    ) -> Record:
        """Create a record (not yet sequenced) and keep it."""
        if self.host.era == "old":
            t -= t % SECOND  # .evt keeps whole seconds
        if kind.classic or self.host.era == "old":
            p = t_id = 0
        else:
            p = manifest_pid if manifest_pid is not None else pid(self.rng)
            t_id = pid(self.rng)
        r = Record(kind, self.host.name, t, values, p, t_id, sid)
        self.records.append(r)
        return r

    def uphclean_active(self, t: int) -> bool:
        slot = self.host.slot
        if slot.uphclean is None:
            return False
        return not slot.uphclean_late or t >= FLEET_START + (self.days // 2) * DAY


# ------------------------------------------------------------------------------ scripts

Script = Callable[[Context, Session], Incident]


def _leak_1530(
    ctx: Context,
    s: Session,
    *,
    hives: tuple[str, ...],
    classic: bool = False,
    en_dash: bool = False,
    quirks: DetailQuirks | None = None,
    deep_and_root: bool = False,
    script: str,
) -> Incident:
    rng, t = ctx.rng, s.logoff
    sid = s.user.sid
    events: list[LoggedEvent] = []
    for n, hive in enumerate(hives):
        leaks = ctx.picker.leaks(rng.choices((1, 2, 3), (55, 30, 15))[0], hive=hive)
        if deep_and_root and hive == "user":
            root = Leak("Windows\\System32\\svchost.exe", pid(rng), "HKCU", 2)
            deep = Leak(
                "Program Files (x86)\\Common Files\\Contoso (Shared)\\agent host.exe",
                pid(rng),
                "HKCU\\Software\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
                "\\Lockdown_Zones\\4",
                1,
            )
            leaks = [root, *leaks, deep]
        q = quirks or DetailQuirks(
            leading_space=rng.random() < 0.15,
            count_delta=rng.choice((1, 2, -1)) if rng.random() < 0.1 else 0,
            trailing_break=rng.random() < 0.7,
        )
        if q.count_delta < 0 and sum(leak.handles for leak in leaks) <= 1:
            q = DetailQuirks(q.leading_space, 1, q.trailing_break)
        detail = detail_1530(sid, hive, leaks, ctx.host.system_volume, q)
        at = t + (3 + 2 * n) * SECOND + rng.randrange(0, SECOND)
        if classic:
            kind = C.PROFSVC_1530_CLASSIC
            r = ctx.emit(
                kind,
                at,
                (classic_detail(detail, en_dash),),
                SYSTEM_SID,
                manifest_pid=ctx.profsvc_pid,
            )
        else:
            r = ctx.emit(ctx.kind_1530, at, (detail,), SYSTEM_SID, manifest_pid=ctx.profsvc_pid)
        events.append(LoggedEvent(r, "hive_leak_forced_unload", leaks))
    return Incident(ctx.host, s.user, script, events)


def _single(
    ctx: Context,
    s: Session,
    items: list[tuple[EventKind, tuple[Any, ...], str | None, str | None]],
    script: str,
    *,
    at_logon: bool = False,
) -> Incident:
    """An incident of plain events: (kind, values, record SID, class) each, a second apart."""
    base = (s.logon if at_logon else s.logoff) + 2 * SECOND
    events = []
    for i, (kind, values, sid, cls) in enumerate(items):
        r = ctx.emit(
            kind,
            base + i * SECOND + ctx.rng.randrange(0, SECOND),
            values,
            sid,
            manifest_pid=ctx.profsvc_pid,
        )
        events.append(LoggedEvent(r, cls))
    return Incident(ctx.host, s.user, script, events)


_DENIED = "Access is denied. "
_IN_USE = "The process cannot access the file because it is being used by another process. "
_NO_PATH = "The network path was not found. "
_NOT_FOUND = "The system cannot find the file specified. "
_SIGNATURE = "AppData\\Roaming\\Microsoft\\Signatures\\Contoso (2).htm"
_NO_RESOURCES = "Insufficient system resources exist to complete the requested service. "


def _profile_dir(host: Host, user: User) -> str:
    if host.family == "vista+":
        return f"C:\\Users\\{user.name}"
    if host.family == "nt4":
        return f"C:\\WINNT\\Profiles\\{user.name}"
    return f"C:\\Documents and Settings\\{user.name}"


def _roaming(user: User) -> str:
    return f"\\\\FS-01\\Profiles$\\{user.name}"


def _lock(ctx: Context, s: Session, event_id: int, script: str) -> Incident:
    o = ctx.picker.offender()
    p = pid(ctx.rng)
    r = ctx.emit(
        C.PROFSVC_KINDS[event_id],
        s.logon + SECOND,
        (f"C:\\{o.image}", p, ctx.profsvc_pid),
        s.user.sid,
        manifest_pid=ctx.profsvc_pid,
    )
    return Incident(
        ctx.host,
        s.user,
        script,
        [LoggedEvent(r, "hive_locked_by_process", [Leak(o.image, p, "HKCU", 1)])],
    )


def _vista_scripts() -> dict[str, Script]:
    K = C.PROFSVC_KINDS

    def simple(
        items: Callable[
            [Context, Session], list[tuple[EventKind, tuple[Any, ...], str | None, str | None]]
        ],
        name: str,
        at_logon: bool = False,
    ) -> Script:
        return lambda ctx, s: _single(ctx, s, items(ctx, s), name, at_logon=at_logon)

    return {
        "v_leak_user": lambda c, s: _leak_1530(
            c, s, hives=("user",), deep_and_root=True, quirks=DetailQuirks(), script="v_leak_user"
        ),
        "v_leak_classes": lambda c, s: _leak_1530(
            c, s, hives=("classes",), quirks=DetailQuirks(count_delta=2), script="v_leak_classes"
        ),
        "v_leak_both": lambda c, s: _leak_1530(
            c,
            s,
            hives=("user", "classes"),
            quirks=DetailQuirks(leading_space=True),
            script="v_leak_both",
        ),
        "v_leak_classic": lambda c, s: _leak_1530(
            c, s, hives=("user",), classic=True, script="v_leak_classic"
        ),
        "v_leak_classic_en_dash": lambda c, s: _leak_1530(
            c, s, hives=("classes",), classic=True, en_dash=True, script="v_leak_classic_en_dash"
        ),
        "v_leak": lambda c, s: _leak_1530(
            c,
            s,
            hives=c.rng.choices((("user",), ("classes",), ("user", "classes")), (50, 25, 25))[0],
            classic=c.rng.random() < 0.1,
            en_dash=c.rng.random() < 0.5,
            script="v_leak",
        ),
        "v_lock_1545": lambda c, s: _lock(c, s, 1545, "v_lock_1545"),
        "v_lock_1552": lambda c, s: _lock(c, s, 1552, "v_lock_1552"),
        "v_held_1517": simple(
            lambda c, s: [
                (K[1517], (s.user.sid,), SYSTEM_SID, "hive_held_memory_not_freed"),
                (K[1524], (), s.user.sid, "classes_hive_held"),
            ],
            "v_held_1517",
        ),
        "v_held_1512": simple(
            lambda c, s: [(K[1512], (_DENIED,), s.user.sid, "hive_held_memory_not_freed")],
            "v_held_1512",
        ),
        "v_classes_1524": simple(
            lambda c, s: [(K[1524], (), s.user.sid, "classes_hive_held")], "v_classes_1524"
        ),
        "v_not_deleted_1533": simple(
            lambda c, s: [
                (
                    K[1533],
                    (_profile_dir(c.host, s.user), _IN_USE),
                    s.user.sid,
                    "profile_not_deleted",
                )
            ],
            "v_not_deleted_1533",
        ),
        "v_roaming_1509": simple(
            lambda c, s: [
                (
                    C.PROFGEN_1509,
                    (
                        f"{_profile_dir(c.host, s.user)}\\{_SIGNATURE}",
                        f"{_roaming(s.user)}.V6\\{_SIGNATURE}",
                        _IN_USE,
                    ),
                    s.user.sid,
                    "roaming_sync_failed",
                ),
                (K[1504], (_IN_USE,), s.user.sid, "roaming_sync_failed"),
            ],
            "v_roaming_1509",
        ),
        "v_roaming_1521": simple(
            lambda c, s: [(K[1521], (_NO_PATH,), s.user.sid, "roaming_sync_failed")],
            "v_roaming_1521",
            at_logon=True,
        ),
        "v_load_1511": simple(
            lambda c, s: [
                (K[1511], (), s.user.sid, "profile_load_failed"),
                (K[1515], (), s.user.sid, "profile_load_failed"),
            ],
            "v_load_1511",
            at_logon=True,
        ),
        "v_load_1500": simple(
            lambda c, s: [(K[1500], (_NOT_FOUND,), s.user.sid, "profile_load_failed")],
            "v_load_1500",
            at_logon=True,
        ),
        "v_load_1502": simple(
            lambda c, s: [(K[1502], (_DENIED,), s.user.sid, "profile_load_failed")],
            "v_load_1502",
            at_logon=True,
        ),
        "v_load_1508": simple(
            lambda c, s: [
                (
                    K[1508],
                    (_IN_USE, f"{_profile_dir(c.host, s.user)}\\ntuser.dat"),
                    s.user.sid,
                    "profile_load_failed",
                )
            ],
            "v_load_1508",
            at_logon=True,
        ),
        "v_load_1542": simple(
            lambda c, s: [(K[1542], (_IN_USE,), s.user.sid, "profile_load_failed")],
            "v_load_1542",
            at_logon=True,
        ),
    }


def _uph_leaks(ctx: Context) -> list[Leak]:
    return ctx.picker.leaks(ctx.rng.choices((1, 2, 3), (50, 35, 15))[0])


def _uph_event(
    ctx: Context, s: Session, event_id: int, t: int, leaks: list[Leak], *, errors: bool = False
) -> LoggedEvent:
    stacks = ctx.host.slot.uphclean == "1.5"
    body = uphclean_body(leaks, ctx.rng, call_stacks=stacks, errors=errors)
    r = ctx.emit(ctx.uph[event_id], t, (uphclean_user(s.user.account, s.user.sid), body))
    cls = {1201: "uphclean_released", 1401: "uphclean_released", 1211: "uphclean_failed"}.get(
        event_id
    )
    return LoggedEvent(r, cls, leaks)


def _remedy_id(ctx: Context) -> int:
    return 1401 if ctx.host.slot.uphclean == "1.6" else 1201


def _old_held(
    ctx: Context, s: Session, *, classes: bool, remedy: str, script: str, resolved: bool = False
) -> Incident:
    """XP/2003: 1517 (+1524), then what UPHClean did, if anything."""
    K, t, rng = C.USERENV_KINDS, s.logoff, ctx.rng
    events = [
        LoggedEvent(
            ctx.emit(K[1517], t + 20 * SECOND, (s.user.account,), SYSTEM_SID),
            "hive_held_memory_not_freed",
        )
    ]
    if classes:
        events.append(
            LoggedEvent(ctx.emit(K[1524], t + 21 * SECOND, (), s.user.sid), "classes_hive_held")
        )
    later = t + rng.randrange(60, 180) * SECOND
    if remedy == "uphclean":
        events.append(_uph_event(ctx, s, _remedy_id(ctx), later, _uph_leaks(ctx)))
    elif remedy == "report":
        events.append(_uph_event(ctx, s, 1501, later, _uph_leaks(ctx)))
        r = ctx.emit(
            ctx.uph[1511], later + 5 * SECOND, (uphclean_user(s.user.account, s.user.sid),)
        )
        events.append(LoggedEvent(r, None))
    elif remedy == "failed":
        events.append(_uph_event(ctx, s, 1211, later, _uph_leaks(ctx), errors=True))
    if resolved:
        r = ctx.emit(
            K[1516], later + rng.randrange(200, 400) * SECOND, (s.user.account,), SYSTEM_SID
        )
        events.append(LoggedEvent(r, None))
    return Incident(ctx.host, s.user, script, events)


def _uph_only(ctx: Context, s: Session, event_id: int, script: str) -> Incident:
    t = s.logoff + ctx.rng.randrange(40, 120) * SECOND
    events: list[LoggedEvent] = []
    if event_id == 1211:
        r = ctx.emit(ctx.uph[1111], t, (uphclean_user(s.user.account, s.user.sid),))
        events.append(LoggedEvent(r, "uphclean_failed"))
        t += 60 * SECOND
    events.append(_uph_event(ctx, s, event_id, t, _uph_leaks(ctx), errors=event_id == 1211))
    return Incident(ctx.host, s.user, script, events)


def _userenv_plain(
    ctx: Context,
    s: Session,
    items: list[tuple[int, tuple[Any, ...], str | None]],
    script: str,
    *,
    at_logon: bool = True,
) -> Incident:
    K = C.USERENV_KINDS
    return _single(
        ctx, s, [(K[i], v, s.user.sid, cls) for i, v, cls in items], script, at_logon=at_logon
    )


def _denied(ctx: Context, s: Session, *, classes: bool, remedy: bool, script: str) -> Incident:
    """Windows 2000 / NT4: Userenv 1000 'cannot unload ... Access is denied', maybe UPHClean."""
    head = C.MSG_UNLOAD_CLASSES_DENIED if classes else C.MSG_UNLOAD_DENIED
    build = f" , Build number (({ctx.host.os.build}))." if ctx.host.family == "win2000" else ""
    text = head + _DENIED + build
    r = ctx.emit(C.USERENV_KINDS[1000], s.logoff + 15 * SECOND, (text,), s.user.sid)
    events = [LoggedEvent(r, "unload_access_denied")]
    if remedy:
        later = s.logoff + ctx.rng.randrange(60, 180) * SECOND
        events.append(_uph_event(ctx, s, _remedy_id(ctx), later, _uph_leaks(ctx)))
    return Incident(ctx.host, s.user, script, events)


def _quota_1000(ctx: Context, s: Session, script: str) -> Incident:
    text = C.MSG_QUOTA + f"{_profile_dir(ctx.host, s.user)}\\ntuser.dat"
    r = ctx.emit(C.USERENV_KINDS[1000], s.logon + 4 * SECOND, (text,), s.user.sid)
    return Incident(ctx.host, s.user, script, [LoggedEvent(r, "registry_quota")])


def _quota_333(ctx: Context, s: Session, script: str) -> Incident:
    r = ctx.emit(C.POPUP_333, s.logon + 5 * SECOND, (bytes(8),))
    return Incident(ctx.host, None, script, [LoggedEvent(r, "registry_quota")])


def _old_scripts() -> dict[str, Script]:
    file_1509 = "Local Settings\\Application Data\\Microsoft\\Outlook\\outlook.pst"
    return {
        "x_held": lambda c, s: _old_held(c, s, classes=True, remedy="none", script="x_held"),
        "x_held_uph": lambda c, s: _old_held(
            c, s, classes=True, remedy="uphclean", script="x_held_uph"
        ),
        "x_report": lambda c, s: _old_held(
            c, s, classes=c.rng.random() < 0.7, remedy="report", script="x_report"
        ),
        "x_held_failed": lambda c, s: _old_held(
            c, s, classes=False, remedy="failed", script="x_held_failed"
        ),
        "x_resolved_1516": lambda c, s: _old_held(
            c, s, classes=False, remedy="none", resolved=True, script="x_resolved_1516"
        ),
        "x_classes_1524": lambda c, s: _single(
            c, s, [(C.USERENV_KINDS[1524], (), s.user.sid, "classes_hive_held")], "x_classes_1524"
        ),
        "x_held_1512": lambda c, s: _userenv_plain(
            c, s, [(1512, (_DENIED,), "hive_held_memory_not_freed")], "x_held_1512", at_logon=False
        ),
        "uph_released": lambda c, s: _uph_only(c, s, _remedy_id(c), "uph_released"),
        "uph_failed": lambda c, s: _uph_only(c, s, 1211, "uph_failed"),
        "o_load_1500": lambda c, s: _userenv_plain(
            c, s, [(1500, (_NOT_FOUND,), "profile_load_failed")], "o_load_1500"
        ),
        "o_load_1502": lambda c, s: _userenv_plain(
            c, s, [(1502, (_DENIED,), "profile_load_failed")], "o_load_1502"
        ),
        "o_load_1508": lambda c, s: _userenv_plain(
            c,
            s,
            [
                (
                    1508,
                    (_IN_USE, f"{_profile_dir(c.host, s.user)}\\ntuser.dat"),
                    "profile_load_failed",
                )
            ],
            "o_load_1508",
        ),
        "o_load_1511": lambda c, s: _userenv_plain(
            c,
            s,
            [(1511, (), "profile_load_failed"), (1515, (), "profile_load_failed")],
            "o_load_1511",
        ),
        "o_roaming_1504": lambda c, s: _userenv_plain(
            c, s, [(1504, (_IN_USE,), "roaming_sync_failed")], "o_roaming_1504", at_logon=False
        ),
        "o_roaming_1509": lambda c, s: _userenv_plain(
            c,
            s,
            [
                (
                    1509,
                    (
                        f"{_profile_dir(c.host, s.user)}\\{file_1509}",
                        f"{_roaming(s.user)}\\{file_1509}",
                        _IN_USE,
                    ),
                    "roaming_sync_failed",
                )
            ],
            "o_roaming_1509",
            at_logon=False,
        ),
        "o_roaming_1521": lambda c, s: _userenv_plain(
            c, s, [(1521, (_NO_PATH,), "roaming_sync_failed")], "o_roaming_1521"
        ),
        "o_quota_333": lambda c, s: _quota_333(c, s, "o_quota_333"),
        "w_denied_user": lambda c, s: _denied(
            c, s, classes=False, remedy=False, script="w_denied_user"
        ),
        "w_denied_classes": lambda c, s: _denied(
            c, s, classes=True, remedy=False, script="w_denied_classes"
        ),
        "w_denied_uph": lambda c, s: _denied(
            c, s, classes=False, remedy=True, script="w_denied_uph"
        ),
        "w_quota": lambda c, s: _quota_1000(c, s, "w_quota"),
    }


SCRIPTS: Final[dict[str, Script]] = {**_vista_scripts(), **_old_scripts()}

# What every fleet must contain: (script, predicate on the host and time).
Need = Callable[[Context, int], bool]


def _fam(*families: str) -> Need:
    return lambda c, t: c.host.family in families


def _uph(mode: str | None, active: bool = True) -> Need:
    def need(c: Context, t: int) -> bool:
        if c.host.family not in ("xp2003", "win2000"):
            return False
        if mode is None:
            return not c.uphclean_active(t) and c.host.slot.uphclean in (None, "1.6", "1.5")
        if mode == "report":
            return c.host.slot.uphclean == "report"
        return (
            c.uphclean_active(t)
            and c.host.slot.uphclean in ("1.6", "1.5")
            and (mode == "any" or c.host.slot.uphclean == mode)
        )

    return need


COVERAGE: Final[tuple[tuple[str, Need], ...]] = (
    ("v_leak_user", _fam("vista+")),
    ("v_leak_classes", _fam("vista+")),
    ("v_leak_both", _fam("vista+")),
    ("v_leak_classic", _fam("vista+")),
    ("v_leak_classic_en_dash", _fam("vista+")),
    ("v_lock_1545", lambda c, t: c.host.os.hive_lock_events),
    ("v_lock_1552", lambda c, t: c.host.os.hive_lock_events),
    ("v_held_1517", _fam("vista+")),
    ("v_held_1512", _fam("vista+")),
    ("v_classes_1524", _fam("vista+")),
    ("v_not_deleted_1533", _fam("vista+")),
    ("v_roaming_1509", _fam("vista+")),
    ("v_roaming_1521", _fam("vista+")),
    ("v_load_1511", _fam("vista+")),
    ("v_load_1500", _fam("vista+")),
    ("v_load_1502", _fam("vista+")),
    ("v_load_1508", _fam("vista+")),
    ("v_load_1542", _fam("vista+")),
    ("x_held", lambda c, t: c.host.family == "xp2003" and _uph(None)(c, t)),
    ("x_held_uph", lambda c, t: c.host.family == "xp2003" and _uph("1.6")(c, t)),
    ("x_report", _uph("report")),
    ("x_held_failed", lambda c, t: c.host.family == "xp2003" and _uph("any")(c, t)),
    ("x_resolved_1516", lambda c, t: c.host.family == "xp2003" and _uph(None)(c, t)),
    ("x_classes_1524", lambda c, t: c.host.family == "xp2003" and _uph(None)(c, t)),
    ("x_held_1512", _fam("xp2003")),
    ("uph_released", _uph("1.6")),
    ("uph_released", _uph("1.5")),
    ("uph_failed", _uph("1.5")),
    ("o_load_1500", _fam("xp2003", "win2000")),
    ("o_load_1502", _fam("xp2003", "win2000")),
    ("o_load_1508", _fam("xp2003")),
    ("o_load_1511", _fam("xp2003", "win2000")),
    ("o_roaming_1504", _fam("xp2003")),
    ("o_roaming_1509", _fam("xp2003")),
    ("o_roaming_1521", _fam("xp2003", "win2000")),
    ("o_quota_333", _fam("xp2003")),
    ("w_denied_user", _fam("win2000", "nt4")),
    ("w_denied_classes", _fam("win2000")),
    ("w_denied_uph", lambda c, t: c.host.family == "win2000" and _uph("any")(c, t)),
    ("w_quota", _fam("win2000", "nt4")),
)


def _random_script(ctx: Context, t: int) -> str:
    """The shape of an unplanned incident at a logoff, by OS generation and UPHClean."""
    fam, rng = ctx.host.family, ctx.rng
    if fam == "vista+":
        choices = [
            ("v_leak", 80),
            ("v_held_1517", 3),
            ("v_not_deleted_1533", 4),
            ("v_roaming_1509", 3),
            ("v_load_1511", 3),
            ("v_classes_1524", 2),
        ]
        if ctx.host.os.hive_lock_events:
            choices += [("v_lock_1552", 4), ("v_lock_1545", 2)]
    elif fam == "xp2003":
        mode = ctx.host.slot.uphclean
        if mode == "report":
            choices = [
                ("x_report", 85),
                ("o_roaming_1504", 5),
                ("o_load_1511", 5),
                ("o_quota_333", 5),
            ]
        elif ctx.uphclean_active(t):
            choices = [
                ("uph_released", 80),
                ("x_held_uph", 10),
                ("x_held_failed", 5),
                ("o_load_1511", 5),
            ]
        else:
            choices = [
                ("x_held", 60),
                ("x_classes_1524", 15),
                ("x_resolved_1516", 10),
                ("x_held_1512", 5),
                ("o_roaming_1504", 5),
                ("o_quota_333", 5),
            ]
    elif fam == "win2000":
        if ctx.uphclean_active(t):
            choices = [
                ("uph_released", 60),
                ("w_denied_uph", 25),
                ("uph_failed", 10),
                ("w_quota", 5),
            ]
        else:
            choices = [("w_denied_user", 60), ("w_denied_classes", 25), ("w_quota", 15)]
    else:
        choices = [("w_denied_user", 85), ("w_quota", 15)]
    names = [name for name, _ in choices]
    return rng.choices(names, [weight for _, weight in choices])[0]


INCIDENT_RATE: Final = {"vista+": 0.08, "xp2003": 0.2, "win2000": 0.2, "nt4": 0.15}


# ------------------------------------------------------------------------------ the host


class HostScenario:
    def __init__(self, host: Host, seed: int, days: int, coverage: list[str]) -> None:
        self.host = host
        self.days = days
        self.coverage = coverage
        self.rng = random.Random(f"hivewatch-fleet:{seed}:{host.index}:{host.name}")
        self.ctx = Context(host, self.rng, days)

    # -- sessions

    def _sessions(self) -> list[Session]:
        rng, host = self.rng, self.host
        out: list[Session] = []
        sid_counter = 1
        for day in range(self.days):
            start = FLEET_START + day * DAY
            weekend = day % 7 >= 5
            if host.slot.terminal_server:
                users = [u for u in host.users if rng.random() < (0.3 if weekend else 0.8)]
            else:
                users = [host.users[0]] if rng.random() < (0.3 if weekend else 1.0) else []
                users += [u for u in host.users[1:] if rng.random() < 0.2]
            for user in users:
                logon = (
                    start
                    + rng.randrange(7 * 3600, 11 * 3600) * SECOND
                    + rng.randrange(0, 10**6) * 10
                )
                logoff = logon + rng.randrange(2 * 3600, 8 * 3600) * SECOND
                sid_counter += 1
                out.append(Session(user, logon, logoff, sid_counter))
        return out

    def _extra_session(self, day: int, k: int, n: int) -> Session:
        """The k-th planned session of a day: evenings, 55 minutes apart, after everyone left."""
        rng = self.rng
        user = rng.choice(self.host.users)
        start = FLEET_START + day * DAY + (19 * 3600 + 1800 + k * 3300) * SECOND
        logon = start + rng.randrange(0, 300) * SECOND + rng.randrange(0, 10**6) * 10
        return Session(user, logon, logon + rng.randrange(300, 900) * SECOND, 100 + n)

    # -- events of a session

    def _logon_events(self, s: Session) -> None:
        ctx, host, K = self.ctx, self.host, C.OPERATIONAL_KINDS
        if host.family != "vista+":
            return
        t = s.logon
        if host.os.operational:
            sid, p = s.user.sid, ctx.profsvc_pid
            home = f"C:\\Users\\{s.user.name}"
            ctx.emit(K[1], t, (s.session_id,), sid, manifest_pid=p)
            ctx.emit(
                K[5],
                t + 400_000,
                (f"{home}\\ntuser.dat", f"\\REGISTRY\\USER\\{sid}"),
                sid,
                manifest_pid=p,
            )
            ctx.emit(
                K[5],
                t + 600_000,
                (
                    f"{home}\\AppData\\Local\\Microsoft\\Windows\\UsrClass.dat",
                    f"\\REGISTRY\\USER\\{sid}_Classes",
                ),
                sid,
                manifest_pid=p,
            )
            ctx.emit(K[67], t + 900_000, ("Regular", home, "Roaming"), sid, manifest_pid=p)
            ctx.emit(K[2], t + 2 * SECOND, (s.session_id,), sid, manifest_pid=p)
        if host.slot.offline_files:
            ctx.emit(
                C.OFFLINE_FILES_KINDS[7],
                t + SECOND,
                (s.user.account, str(s.session_id)),
                SYSTEM_SID,
            )

    def _logoff_events(self, s: Session, incident: Incident | None) -> None:
        ctx, host, K = self.ctx, self.host, C.OPERATIONAL_KINDS
        if host.family != "vista+":
            return
        if host.os.operational:
            first = ctx.emit(
                K[3], s.logoff, (s.session_id,), s.user.sid, manifest_pid=ctx.profsvc_pid
            )
            last = ctx.emit(
                K[4],
                s.logoff + 12 * SECOND,
                (s.session_id,),
                s.user.sid,
                manifest_pid=ctx.profsvc_pid,
            )
            if incident is not None and incident.events[0].record.time >= s.logoff:
                incident.context.extend((first, last))
        if host.slot.offline_files:
            ctx.emit(
                C.OFFLINE_FILES_KINDS[8],
                s.logoff + 13 * SECOND,
                (s.user.account, str(s.session_id)),
                SYSTEM_SID,
            )

    # -- standalone profile events and background

    def _standalone(self) -> None:
        ctx, host, rng = self.ctx, self.host, self.rng
        t0 = FLEET_START + 6 * 3600 * SECOND
        if host.family == "vista+":
            u = host.users[0]
            ctx.emit(
                C.PROFSVC_KINDS[1534],
                t0 + 97 * SECOND,
                (
                    "Logon",
                    "{B31118B2-1F49-48E5-B6F5-BC21CAEC56FB}",
                    "The RPC server is unavailable. ",
                ),
                u.sid,
                manifest_pid=ctx.profsvc_pid,
            )
            if host.index % 2 == 0:
                ctx.emit(
                    C.PROFSVC_KINDS[1541],
                    t0 + 301 * SECOND,
                    (_DENIED,),
                    u.sid,
                    manifest_pid=ctx.profsvc_pid,
                )
            if host.slot.offline_files:
                share = "\\\\FS-01\\Home$\\" + u.name
                k = C.OFFLINE_FILES_KINDS
                ctx.emit(k[9], t0 + 1000 * SECOND, (share,))
                ctx.emit(k[10], t0 + 1300 * SECOND, (share,))
                ctx.emit(k[1004], t0 + 2000 * SECOND, (share,))
                ctx.emit(k[1008], t0 + 2100 * SECOND, (share, share + "\\Budget (2024).xlsx"))
                ctx.emit(k[2005], t0 + 3000 * SECOND, (share,))
                ctx.emit(k[2006], t0 + 3300 * SECOND, (share, "The network name cannot be found. "))
        elif host.family == "xp2003":
            ctx.emit(C.USERENV_KINDS[1525], t0 + 50 * SECOND, (), host.users[0].sid)
        if host.slot.uphclean:
            start = FLEET_START + (self.days // 2 if host.slot.uphclean_late else 0) * DAY
            for day_start in range(start, FLEET_START + self.days * DAY, DAY):
                boot = day_start + rng.randrange(5 * 3600, 7 * 3600) * SECOND
                ctx.emit(ctx.uph[1001], boot, ("1.6.30.0",))
                if rng.random() < 0.3 or day_start == start:  # stopped for a reboot
                    ctx.emit(ctx.uph[1010], boot + 12 * 3600 * SECOND, ())

    def _background(self, already: int) -> None:
        ctx, host, rng = self.ctx, self.host, self.rng
        tables = [(ch, table(host.era, ch)) for ch in (C.SYSTEM, C.APPLICATION)]
        cums = [list(accumulate(e.weight for e in t)) for _, t in tables]
        share = (0.56, 0.44)
        total = RECORDS_PER_DAY * self.days - already
        span = self.days * 86_400 * 1_000_000
        for _ in range(max(0, total)):
            which = 0 if rng.random() < share[0] else 1
            entries = tables[which][1]
            entry: Background = rng.choices(entries, cum_weights=cums[which])[0]
            t = FLEET_START + rng.randrange(0, span) * 10
            values = entry.values(rng, host, t)
            r = ctx.emit(entry.kind, t, values, user_sid_for(entry, rng, host))
            if entry.activity:
                r.activity_id = guid(rng)

    # -- the whole period

    def run(self) -> HostLogs:
        ctx = self.ctx
        incidents: list[Incident] = []
        sessions = self._sessions()
        planned: list[tuple[Session, str]] = []
        per_day: dict[int, int] = {}
        for n, name in enumerate(self.coverage):
            day = self._day_for(name, n)
            k = per_day[day] = per_day.get(day, -1) + 1
            planned.append((self._extra_session(day, k, n), name))
        for s in sessions:
            picked = _random_script(ctx, s.logoff) if self.rng.random() < self._rate() else None
            planned.append((s, picked or ""))
        for s, name in planned:
            self._logon_events(s)
            incident = SCRIPTS[name](ctx, s) if name else None
            self._logoff_events(s, incident)
            if incident is not None:
                incidents.append(incident)
        self._standalone()
        self._background(len(ctx.records))
        channels = self._sequence(ctx.records)
        return HostLogs(self.host, channels, incidents)

    def _rate(self) -> float:
        return INCIDENT_RATE[self.host.family]

    def _day_for(self, name: str, n: int) -> int:
        """A day on which the host can produce `name` (UPHClean may come late)."""
        needs = [need for n, need in COVERAGE if n == name]
        days = [
            d
            for d in range(self.days)
            if any(f(self.ctx, FLEET_START + d * DAY + DAY // 2) for f in needs)
        ]
        return days[n % len(days)] if days else n % self.days

    def _sequence(self, records: list[Record]) -> dict[str, list[Record]]:
        by_channel: dict[str, list[Record]] = {}
        for r in records:
            by_channel.setdefault(r.channel, []).append(r)
        out: dict[str, list[Record]] = {}
        for channel in sorted(by_channel):
            rs = sorted(by_channel[channel], key=lambda r: r.time)
            first = (
                self.rng.randrange(1, 60_000)
                if self.host.family == "vista+"
                else self.rng.randrange(1, 20_000)
            )
            for i, r in enumerate(rs):
                r.record_id = first + i
            out[channel] = rs
        return out


def plan_coverage(hosts: list[Host], days: int) -> dict[int, list[str]]:
    """Give each required incident shape to a capable host, spreading them evenly."""
    out: dict[int, list[str]] = {h.index: [] for h in hosts}
    contexts = {h.index: Context(h, random.Random(0), days) for h in hosts}
    for name, need in COVERAGE:
        capable = [
            h
            for h in hosts
            if any(need(contexts[h.index], FLEET_START + d * DAY + DAY // 2) for d in range(days))
        ]
        if not capable:
            continue
        best = min(capable, key=lambda h: (len(out[h.index]), h.index))
        out[best.index].append(name)
    return out
