"""The incident grouping rule at its edges, on hand-built events through the real catalog."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson

from pipeline.derive.incidents import WINDOW, group_incidents
from pipeline.derive.offenders import rank_offenders
from pipeline.derive.profile import Candidate, profile_events

T0 = datetime(2024, 3, 4, 19, 0, 0)
SID_A = "S-1-5-21-1-2-3-1001"
SID_B = "S-1-5-21-1-2-3-1002"
PROFSVC = "Microsoft-Windows-User Profiles Service"
OPERATIONAL = "Microsoft-Windows-User Profile Service/Operational"


def detail(sid: str, *lines: tuple[int, str, str]) -> str:
    body = [f"{len(lines)} user registry handles leaked from \\Registry\\User\\{sid}:"]
    for pid, image, key in lines:
        body.append(
            f"Process {pid} (\\Device\\HarddiskVolume2\\{image}) has opened key"
            f" \\REGISTRY\\USER\\{sid}{key}"
        )
    return "\r\n".join(body) + "\r\n"


def leak_1530(host: str, at: datetime, sid: str, *lines: tuple[int, str, str]) -> Candidate:
    data = {"Detail": detail(sid, *lines)}
    return Candidate(host, "Application", PROFSVC, 1530, at, 1, "S-1-5-18", _json(data), "f")


def event(
    host: str,
    at: datetime,
    provider: str,
    event_id: int,
    sid: str | None,
    data: dict[str, object] | None = None,
    channel: str = "Application",
) -> Candidate:
    return Candidate(host, channel, provider, event_id, at, 1, sid, _json(data or {}), "f")


def _json(data: dict[str, object]) -> str:
    return orjson.dumps(data).decode()


def incidents_of(candidates: list[Candidate]) -> list[tuple[str | None, str | None, list[int]]]:
    events, leaks = profile_events(candidates)
    found, _ = group_incidents(events, ["vista+"] * len(events), leaks)
    return [(i.host, i.user_sid, i.event_ids) for i in found]


def test_events_within_the_window_of_the_previous_one_are_one_incident() -> None:
    chain = [
        event("WS1", T0, PROFSVC, 1512, SID_A, {"Error": "x"}),
        event("WS1", T0 + WINDOW, PROFSVC, 1524, SID_A),
        event("WS1", T0 + 2 * WINDOW, PROFSVC, 1533, SID_A, {"Folder": "C:\\Users\\a"}),
    ]
    assert incidents_of(chain) == [("WS1", SID_A, [1512, 1524, 1533])]


def test_two_logoffs_just_over_the_window_apart_are_two_incidents() -> None:
    apart = [
        event("WS1", T0, PROFSVC, 1512, SID_A, {"Error": "x"}),
        event("WS1", T0 + WINDOW + timedelta(microseconds=1), PROFSVC, 1524, SID_A),
    ]
    assert incidents_of(apart) == [("WS1", SID_A, [1512]), ("WS1", SID_A, [1524])]


def test_events_out_of_order_are_sorted_first() -> None:
    late, early = T0 + timedelta(minutes=10), T0
    shuffled = [
        event("WS1", late, PROFSVC, 1524, SID_A),
        event("WS1", early, PROFSVC, 1512, SID_A, {"Error": "x"}),
    ]
    events, leaks = profile_events(shuffled)
    (incident,), _ = group_incidents(events, ["vista+", "vista+"], leaks)
    assert (incident.started, incident.ended) == (early, late)


def test_a_user_on_two_hosts_at_once_is_two_incidents() -> None:
    both = [
        event("WS1", T0, PROFSVC, 1524, SID_A),
        event("WS2", T0, PROFSVC, 1524, SID_A),
    ]
    assert incidents_of(both) == [("WS1", SID_A, [1524]), ("WS2", SID_A, [1524])]


def test_two_users_on_one_host_at_once_are_two_incidents() -> None:
    both = [
        event("TS1", T0, PROFSVC, 1524, SID_B),
        event("TS1", T0 + timedelta(seconds=1), PROFSVC, 1524, SID_A),
    ]
    assert incidents_of(both) == [("TS1", SID_A, [1524]), ("TS1", SID_B, [1524])]


def test_an_account_named_without_sid_joins_its_sid_when_some_event_links_them() -> None:
    header = f"CONTOSO\\alice ({SID_A})"
    body = "svchost.exe (780)\r\n  HKCU\\Software\\X (0x1f4)\r\n"
    linked = [
        event("XP1", T0, "Userenv", 1517, None, {"strings": ["CONTOSO\\alice"]}),
        event("XP1", T0 + timedelta(seconds=5), "Userenv", 1524, SID_A, {"strings": []}),
        event(
            "XP1", T0 + timedelta(minutes=2), "UPHClean", 1401, None, {"strings": [header, body]}
        ),
    ]
    assert incidents_of(linked) == [("XP1", SID_A, [1401, 1517, 1524])]


def test_an_account_no_event_links_is_the_one_sid_the_host_states_near_it() -> None:
    """XP's 1517 names the account, the 1524 of the same logoff gives the SID: one incident.
    With two users' SIDs near it, the account stays apart: it could be either."""
    named = event("XP1", T0, "Userenv", 1517, None, {"strings": ["CONTOSO\\alice"]})
    alone = [named, event("XP1", T0 + timedelta(seconds=1), "Userenv", 1524, SID_A)]
    assert incidents_of(alone) == [("XP1", SID_A, [1517, 1524])]
    later = [named, event("XP1", T0 + WINDOW + timedelta(seconds=1), "Userenv", 1524, SID_A)]
    assert incidents_of(later) == [("XP1", SID_A, [1524]), ("XP1", None, [1517])]
    crowded = [*alone, event("XP1", T0 - timedelta(seconds=1), "Userenv", 1524, SID_B)]
    assert incidents_of(crowded) == [
        ("XP1", SID_A, [1524]),
        ("XP1", SID_B, [1524]),
        ("XP1", None, [1517]),
    ]


def test_events_naming_no_user_group_apart() -> None:
    popup = event("XP1", T0, "Application Popup", 333, None, {"strings": ["x"]}, "System")
    mixed = [popup, event("XP1", T0 + timedelta(seconds=1), PROFSVC, 1524, SID_A)]
    assert incidents_of(mixed) == [("XP1", None, [333]), ("XP1", SID_A, [1524])]


def test_related_and_context_events_alone_make_no_incident() -> None:
    quiet = [
        event("XP1", T0, "Userenv", 1516, None, {"strings": ["CONTOSO\\alice"]}),
        event("WS1", T0, PROFSVC, 3, SID_A, {"Session": "1"}, OPERATIONAL),
        event("WS1", T0 + timedelta(seconds=1), PROFSVC, 4, SID_A, {"Session": "1"}, OPERATIONAL),
    ]
    assert incidents_of(quiet) == []
    with_failure = [*quiet, event("WS1", T0 + timedelta(seconds=2), PROFSVC, 1524, SID_A)]
    assert incidents_of(with_failure) == [("WS1", SID_A, [1524])]  # notifications stay out


def test_class_and_remedy_follow_their_precedence() -> None:
    group = [
        event("WS1", T0, PROFSVC, 1524, SID_A),
        leak_1530("WS1", T0 + timedelta(seconds=1), SID_A, (4, "Windows\\svchost.exe", "")),
        event(
            "WS1",
            T0 + timedelta(seconds=2),
            PROFSVC,
            1552,
            SID_A,
            {
                "InterferingImageName": "C:\\Windows\\System32\\svchost.exe",
                "InterferingPID": "4",
            },
        ),
    ]
    events, leaks = profile_events(group)
    (incident,), _ = group_incidents(events, ["vista+"] * 3, leaks)
    assert incident.event_class == "hive_leak_forced_unload"
    assert incident.remediated_by == "profile_service"
    assert (incident.processes, incident.keys) == (["svchost.exe"], ["HKCU"])


def test_incident_ids_are_stable_and_distinct() -> None:
    pair = [event("WS1", T0, PROFSVC, 1524, SID_A), event("WS2", T0, PROFSVC, 1524, SID_A)]
    events, leaks = profile_events(pair)
    first, _ = group_incidents(events, ["vista+"] * 2, leaks)
    again, _ = group_incidents(list(reversed(events)), ["vista+"] * 2, leaks)
    assert {i.incident_id for i in first} == {i.incident_id for i in again}
    assert len({i.incident_id for i in first}) == 2


def test_a_classic_1530_with_its_detail_as_one_unnamed_value() -> None:
    """Logged the classic way, the whole DETAIL is the only EventData value; its user comes
    from the DETAIL's header, never from the record (SYSTEM)."""
    text = "DETAIL - \r\n" + detail(
        SID_A,
        (6520, "Program Files (x86)\\Steam\\Game.exe", "_CLASSES"),
        (6520, "Program Files (x86)\\Steam\\Game.exe", "_CLASSES"),
        (1672, "00.Install\\SQL Server 2016\\x64\\ScenarioEngine.exe", "\\SOFTWARE\\Vendor"),
    )
    classic = event("WS1", T0, PROFSVC, 1530, "S-1-5-18", {"strings": [text]})
    events, leaks = profile_events([classic])
    assert [e.user_sid for e in events] == [SID_A]
    assert [(x.process_name, x.hive, x.key, x.handles, x.user_sid) for x in leaks] == [
        ("game.exe", "classes", "HKCU\\Software\\Classes", 2, SID_A),
        ("scenarioengine.exe", "user", "HKCU\\SOFTWARE\\Vendor", 1, SID_A),
    ]


def test_same_id_from_another_provider_is_no_profile_event() -> None:
    impostors = [
        event("WS1", T0, "Application Error", 1000, SID_A, {"strings": ["unload registry"]}),
        event("WS1", T0, "Microsoft-Windows-Security-SPP", 1530, SID_A, {"Detail": "x"}),
    ]
    assert profile_events(impostors) == ([], [])


def test_offenders_compare_keys_case_insensitively() -> None:
    group = [
        leak_1530("WS1", T0, SID_A, (4, "Windows\\svchost.exe", "\\Software\\X")),
        leak_1530("WS2", T0, SID_B, (4, "Windows\\svchost.exe", "\\SOFTWARE\\x")),
        leak_1530("WS3", T0, SID_B, (4, "Windows\\svchost.exe", "\\Software\\X")),
    ]
    events, leaks = profile_events(group)
    _, incident_of = group_incidents(events, ["vista+"] * 3, leaks)
    (offender,) = rank_offenders(leaks, incident_of)
    assert (offender.key, offender.hosts, offender.incidents, offender.users) == (
        "HKCU\\Software\\X",
        3,
        3,
        2,
    )


def test_an_incident_lists_a_key_once_in_its_most_used_spelling() -> None:
    logoff = [
        leak_1530(
            "WS1",
            T0,
            SID_A,
            (4, "Windows\\svchost.exe", "\\SOFTWARE\\X"),
            (5, "Windows\\wbem\\WmiPrvSE.exe", "\\Software\\X"),
            (6, "Windows\\explorer.exe", "\\Software\\X"),
        ),
    ]
    events, leaks = profile_events(logoff)
    (incident,), _ = group_incidents(events, ["vista+"], leaks)
    assert incident.keys == ["HKCU\\Software\\X"]
    assert incident.processes == ["explorer.exe", "svchost.exe", "wmiprvse.exe"]
