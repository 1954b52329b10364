"""The profile-event catalog: every row loads, lookups key on provider plus id, the field
readers read what the fixture fleet logs, and a bad row fails the load naming its line."""

from __future__ import annotations

import csv
import json
import random
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from pipeline.derive.families import host_families
from pipeline.normalize import profile_catalog as pc
from pipeline.synth import background as B
from pipeline.synth import catalog as C
from pipeline.synth.fleet import ALL_FORMATS
from pipeline.synth.hosts import OS, plan_fleet
from pipeline.synth.manifest import FIXTURE_ARGS
from pipeline.synth.model import EventKind, Record
from pipeline.synth.scenario import HostScenario, plan_coverage

ROOT = Path(__file__).resolve().parents[2]
TRUTH = ROOT / "fixtures" / "truth.json"
PACKAGED = resources.files("pipeline.normalize").joinpath(pc.CSV_NAME)

PROFSVC = "Microsoft-Windows-User Profiles Service"
PROFGEN = "Microsoft-Windows-User Profiles General"
OPERATIONAL = "Microsoft-Windows-User Profile Service/Operational"
CSC = "Microsoft-Windows-OfflineFiles"
USER_SID = "S-1-5-21-1004336348-1177238915-682003330-5650"

UNLOAD_USER = (
    "Windows cannot unload your registry file. If you have a roaming profile, your settings "
    "are not replicated. Contact your administrator. \r\n\r\n DETAIL - Access is denied. "
)
UNLOAD_CLASSES = UNLOAD_USER.replace("registry file", "registry class file")
QUOTA = (
    "Windows cannot load the user's profile but has logged you on with the default profile "
    "for the system. \r\n\r\n DETAIL - RegLoadKey failed. Insufficient system resources exist "
    "to complete the requested service. , C:\\Documents and Settings\\bob\\ntuser.dat"
)
GPO_1000 = "Windows cannot determine the user or computer name. (Access is denied. )."


# ------------------------------------------------------------------------------ loading


def test_every_row_loads() -> None:
    with PACKAGED.open("r", encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r]
    entries = pc.entries()
    assert len(rows) == 56
    assert len(entries) == len(rows)
    assert [(e.provider, e.event_id) for e in entries] == [
        (r["provider"], int(r["event_id"])) for r in rows
    ]
    assert [e.line for e in entries] == list(range(2, 2 + len(rows)))
    assert pc.default_catalog() is pc.default_catalog()  # loaded once


def test_packaged_file_sits_in_the_package() -> None:
    assert PACKAGED.is_file()
    assert Path(str(PACKAGED)).parent == ROOT / "pipeline" / "normalize"


def test_class_precedence_is_the_truths() -> None:
    truth = json.loads(TRUTH.read_text(encoding="utf-8"))
    assert list(pc.CLASS_PRECEDENCE) == truth["class_precedence"]
    assert pc.class_rank("hive_leak_forced_unload") == 0
    assert pc.class_rank("registry_quota") == 10
    with pytest.raises(ValueError):
        pc.class_rank("no_such_class")


def test_every_contract_class_has_a_row() -> None:
    signalled = {e.event_class for e in pc.entries()} - {None}
    assert signalled == set(pc.CLASS_PRECEDENCE)


def test_leak_rows() -> None:
    parsers = {
        (e.provider.lower(), e.event_id): e.leak_parser for e in pc.entries() if e.leak_parser
    }
    assert parsers == {
        ("microsoft-windows-user profiles service", 1530): "detail",
        ("uphclean", 1201): "uphclean",
        ("uphclean", 1211): "uphclean",
        ("uphclean", 1401): "uphclean",
        ("uphclean", 1501): "uphclean",
        ("microsoft-windows-user profiles service", 1545): "lock",
        ("microsoft-windows-user profiles service", 1552): "lock",
    }
    e1530 = pc.lookup(PROFSVC, 1530, "Application")
    assert e1530 is not None
    assert e1530.sid_from_leak
    assert e1530.user_sid == "@leak"
    assert [e for e in pc.entries() if e.sid_from_leak] == [e1530]


def test_a_userenv_1509_takes_the_family_of_its_host() -> None:
    # Vista and later log 1509 as "User Profiles General" or by its alias, Userenv, as XP
    # does: the host's other events decide which generation logged it.
    copy = pc.lookup("Userenv", 1509, "Application")
    vista = pc.lookup(PROFSVC, 1530, "Application")
    xp = pc.lookup("Userenv", 1517, "Application")
    assert copy is not None and vista is not None and xp is not None
    events = [("V", vista.families), ("V", copy.families), ("X", xp.families), ("X", copy.families)]
    assert host_families([], events) == {"V": "vista+", "X": "xp2003"}


def test_catalog_pairs() -> None:
    pairs = pc.catalog_pairs()
    assert pairs == sorted(set(pairs))
    assert all(p == p.lower() for p, _ in pairs)
    assert ("profsvc", 1530) in pairs
    assert ("microsoft-windows-user profiles service", 1530) in pairs
    assert ("uphclean", 1401) in pairs
    assert ("userenv", 1000) in pairs
    assert ("application popup", 333) in pairs
    assert ("userenv", 1530) not in pairs
    assert ("application error", 1000) not in pairs
    assert ("microsoft-windows-user profiles service", 1531) not in pairs
    assert len(pairs) == 72  # 56 rows, 2 of them Userenv 1000, 17 with the Profsvc alias


# ------------------------------------------------------------------------------ lookup


@pytest.mark.parametrize(
    ("provider", "event_id", "channel", "kind", "event_class", "families"),
    [
        (
            "Userenv",
            1517,
            "Application",
            "hive_saved_while_in_use",
            "hive_held_memory_not_freed",
            ("xp2003",),
        ),
        ("Userenv", 1524, "Application", "classes_hive_in_use", "classes_hive_held", ("xp2003",)),
        ("Userenv", 1516, "Application", "hive_unloaded_after_release", None, ("xp2003",)),
        (
            "Userenv",
            1511,
            "Application",
            "temporary_profile",
            "profile_load_failed",
            ("win2000", "xp2003"),
        ),
        ("Userenv", 1525, "Application", "offline_caching_on_roaming_share", None, ("xp2003",)),
        (
            PROFSVC,
            1530,
            "Application",
            "hive_leak_forced_unload",
            "hive_leak_forced_unload",
            ("vista+",),
        ),
        (
            "Profsvc",
            1530,
            "Application",
            "hive_leak_forced_unload",
            "hive_leak_forced_unload",
            ("vista+",),
        ),
        (
            PROFSVC,
            1517,
            "Application",
            "hive_saved_while_in_use",
            "hive_held_memory_not_freed",
            ("vista+",),
        ),
        (
            PROFSVC,
            1552,
            "Application",
            "hive_registry_locked",
            "hive_locked_by_process",
            ("vista+",),
        ),
        (
            PROFSVC,
            1533,
            "Application",
            "profile_dir_not_deleted",
            "profile_not_deleted",
            ("vista+",),
        ),
        (PROFSVC, 1534, "Application", "profile_notification_failed", None, ("vista+",)),
        (
            PROFGEN,
            1509,
            "Application",
            "profile_file_copy_failed",
            "roaming_sync_failed",
            ("vista+",),
        ),
        (PROFSVC, 3, OPERATIONAL, "logoff_notification_received", None, ("vista+",)),
        (PROFSVC, 67, OPERATIONAL, "logon_profile_info", None, ("vista+",)),
        (
            "UPHClean",
            1401,
            "Application",
            "uphclean_handles_remapped",
            "uphclean_released",
            ("win2000", "xp2003"),
        ),
        (
            "uphclean",
            1201,
            "Application",
            "uphclean_handles_closed",
            "uphclean_released",
            ("win2000", "xp2003"),
        ),
        (
            "UPHCLEAN",
            1211,
            "Application",
            "uphclean_handles_not_closed",
            "uphclean_failed",
            ("win2000", "xp2003"),
        ),
        (
            "uphclean",
            1111,
            "Application",
            "uphclean_unload_retry",
            "uphclean_failed",
            ("win2000", "xp2003"),
        ),
        ("UPHClean", 1501, "Application", "uphclean_handles_reported", None, ("win2000", "xp2003")),
        (
            "UPHClean",
            1511,
            "Application",
            "uphclean_hive_loaded_logged_off",
            None,
            ("win2000", "xp2003"),
        ),
        ("UPHClean", 1001, "Application", "uphclean_started", None, ("win2000", "xp2003")),
        (
            "Application Popup",
            333,
            "System",
            "registry_io_failed",
            "registry_quota",
            ("nt4", "win2000", "xp2003", "vista+"),
        ),
        (CSC, 7, "System", "csc_user_logon", None, ("vista+",)),
        (
            CSC,
            1008,
            "Microsoft-Windows-OfflineFiles/Operational",
            "csc_slow_link_blocked_by_handle",
            None,
            ("vista+",),
        ),
        (
            "  microsoft-windows-user profiles service ",
            1524,
            "Application",
            "classes_hive_in_use",
            "classes_hive_held",
            ("vista+",),
        ),
        (PROFSVC, 3, None, "logoff_notification_received", None, ("vista+",)),
    ],
)
def test_lookup_by_generation(
    provider: str,
    event_id: int,
    channel: str | None,
    kind: str,
    event_class: str | None,
    families: tuple[str, ...],
) -> None:
    entry = pc.lookup(provider, event_id, channel, "")
    assert entry is not None
    assert (entry.kind, entry.event_class, entry.families) == (kind, event_class, families)


@pytest.mark.parametrize(
    ("provider", "event_id", "channel"),
    [
        ("Application Error", 1000, "Application"),
        ("LoadPerf", 1000, "Application"),
        ("Userinit", 1000, "Application"),
        ("Microsoft-Windows-GroupPolicy", 1500, "System"),
        ("Microsoft-Windows-GroupPolicy", 1502, "System"),
        (PROFSVC, 1509, "Application"),  # 1509 is Profiles General's (or Userenv's)
        (PROFSVC, 1531, "Application"),  # service started: background, no profile event
        (PROFSVC, 1532, "Application"),
        ("Userenv", 1530, "Application"),
        ("Userenv", 1545, "Application"),
        ("Userenv", 3, "Application"),
        (PROFSVC, 3, "Application"),  # the notifications live in the Operational channel
        ("Microsoft-Windows-Winlogon", 7001, "System"),
        ("UPHClean", 1000, "Application"),
        ("Userenv", 1001, "Application"),
        ("Application Popup", 26, "System"),
        (None, 1530, "Application"),
        (PROFSVC, None, "Application"),
    ],
)
def test_same_id_from_another_provider_is_none(
    provider: str | None, event_id: int | None, channel: str
) -> None:
    assert pc.lookup(provider, event_id, channel, UNLOAD_USER) is None


@pytest.mark.parametrize(
    ("text", "kind", "event_class"),
    [
        (UNLOAD_USER, "hive_unload_denied", "unload_access_denied"),
        (UNLOAD_CLASSES, "hive_unload_denied", "unload_access_denied"),
        (UNLOAD_USER + " , Build number ((2195)).", "hive_unload_denied", "unload_access_denied"),
        ("WINDOWS CANNOT UNLOAD YOUR REGISTRY FILE.", "hive_unload_denied", "unload_access_denied"),
        (QUOTA, "registry_quota_exceeded", "registry_quota"),
    ],
)
def test_userenv_1000_variants(text: str, kind: str, event_class: str) -> None:
    entry = pc.lookup("Userenv", 1000, "Application", text)
    assert entry is not None
    assert (entry.kind, entry.event_class) == (kind, event_class)
    assert entry.families == ("nt4", "win2000")


@pytest.mark.parametrize("text", [GPO_1000, "", "Access is denied.", "registry"])
def test_userenv_1000_matching_neither_is_no_profile_event(text: str) -> None:
    assert pc.lookup("Userenv", 1000, "Application", text) is None


def test_lookup_takes_the_low_16_bits() -> None:
    entry = pc.lookup("Userenv", 0xC000_03E8, "Application", UNLOAD_USER)
    assert entry is not None
    assert entry.event_class == "unload_access_denied"


def test_event_text_feeds_the_variant_rule() -> None:
    assert pc.event_text({"strings": [QUOTA]}) == QUOTA
    assert (
        pc.event_text({"Error": "x", "PID": 7, "Binary": "00FF", "UserData": {"A": {"B": "y"}}})
        == "x\n7\ny"
    )
    assert pc.event_text({}) == ""
    entry = pc.lookup("Userenv", 1000, "Application", pc.event_text({"strings": [QUOTA]}))
    assert entry is not None
    assert entry.kind == "registry_quota_exceeded"


# ------------------------------------------------------------------------------ read_field


UPH_HEADER = f"CONTOSO\\yholm ({USER_SID})"


@pytest.mark.parametrize(
    ("event_data", "spec", "expected"),
    [
        ({"Detail": "body"}, "Detail|1", "body"),
        ({"detail": "body"}, "DETAIL", "body"),  # names compare case-insensitively
        ({"strings": ["classic body"]}, "Detail|1", "classic body"),
        ({"Error": "  ", "strings": ["second"]}, "Error|1", "second"),  # blank falls through
        ({"strings": ["a", None, "c"]}, "2|3", "c"),
        ({"strings": ["a"]}, "2", None),
        ({"Folder": "C:\\Users\\bob", "Error": "in use"}, "2", "in use"),  # %2 of named data
        (
            {"Folder": "C:\\Users\\bob", "Error": "in use"},
            "Folder|1 + Error|2",
            "C:\\Users\\bob; in use",
        ),
        ({"Folder": "C:\\Users\\bob"}, "Folder|1 + Error|2", "C:\\Users\\bob"),
        ({"InterferingImageName": "C:\\x.exe", "InterferingPID": 4242}, "InterferingPID|2", "4242"),
        ({"Flag": True}, "Flag", "true"),
        ({"UserSid": {"#attributes": {"t": "sid"}, "#text": USER_SID}}, "UserSid", USER_SID),
        ({"UserData": {"EventXML": {"Path": "\\\\fs\\x"}}}, "UserData/eventxml/PATH", "\\\\fs\\x"),
        ({"UserData": {"EventXML": {"Path": "\\\\fs\\x"}}}, "UserData/EventXML/Missing|1", None),
        ({"#attributes": {"Name": "EVENT_HIVE_LEAK"}, "Detail": "body"}, "1", "body"),
        ({"strings": [UPH_HEADER, "body"]}, "1:sid", USER_SID),
        ({"strings": [UPH_HEADER, "body"]}, "1:account", "CONTOSO\\yholm"),
        ({"strings": ["CONTOSO\\yholm"]}, "1:account", "CONTOSO\\yholm"),
        ({"strings": ["CONTOSO\\yholm"]}, "1:sid", None),
        ({"UserSid": USER_SID}, "UserSid:sid|1:sid", USER_SID),
        ({"UserSid": USER_SID}, "UserSid:account", None),
        ({"strings": []}, "1", None),
        ({}, "Detail|1", None),
        ({"Detail": "body"}, "", None),
    ],
)
def test_read_field(event_data: dict[str, object], spec: str, expected: str | None) -> None:
    assert pc.read_field(event_data, spec) == expected


def test_read_field_security_sid() -> None:
    assert pc.read_field({}, "@sid", security_sid=USER_SID) == USER_SID
    assert pc.read_field({}, "@sid") is None
    for service in ("S-1-5-18", "s-1-5-18", "S-1-5-19", "S-1-5-20"):
        assert pc.read_field({}, "@sid", security_sid=service) is None
    assert (
        pc.read_field({"UserSid": "S-1-5-21-1-2-3-4"}, "UserSid:sid|@sid", security_sid=USER_SID)
        == "S-1-5-21-1-2-3-4"
    )
    assert pc.read_field({}, "UserSid:sid|@sid", security_sid=USER_SID) == USER_SID
    # @leak is the leak parser's answer: never a value of event_data, never the record's SID
    assert pc.read_field({"strings": [USER_SID]}, "@leak", security_sid=USER_SID) is None
    assert pc.read_field(None, "@sid", security_sid=USER_SID) == USER_SID


@pytest.mark.parametrize("spec", ["Detail||1", "0", "1:upper", "a b", "strings", "@user", "+"])
def test_bad_spec_raises(spec: str) -> None:
    with pytest.raises(ValueError, match="bad field spec"):
        pc.read_field({"Detail": "x"}, spec)


# ------------------------------------------------------------------------------ family_from_version


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("4.0", "nt4"),
        ("5.0", "win2000"),
        ("5.00.", "win2000"),
        ("5.1", "xp2003"),
        ("5.01.", "xp2003"),
        ("5.2", "xp2003"),
        ("6.0", "vista+"),
        ("6.01.", "vista+"),
        ("6.3", "vista+"),
        ("10.0", "vista+"),
        ("10.00.", "vista+"),
        ("Microsoft (R) Windows (R) 5.1. 2600 Service Pack 2", "xp2003"),
        ("3.51", None),
        ("5.3", None),
        ("4.1", None),
        ("", None),
        ("Service Pack 2", None),
    ],
)
def test_family_from_version(text: str, family: str | None) -> None:
    assert pc.family_from_version(text) == family


def test_family_from_version_of_every_fleet_os() -> None:
    for os_profile in OS.values():
        version = f"{os_profile.version[0]}.{os_profile.version[1]}"  # as the fleet's 6009 logs it
        assert pc.family_from_version(version) == os_profile.family, os_profile.key


# ------------------------------------------------------------------------------ validation


def _rows() -> list[list[str]]:
    with PACKAGED.open("r", encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "catalog.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _edit(row: int, **changes: str) -> list[list[str]]:
    """The packaged rows with data row `row` (1-based, so CSV line row + 1) changed."""
    rows = _rows()
    header = rows[0]
    for column, value in changes.items():
        rows[row][header.index(column)] = value
    return rows


def test_a_copy_of_the_packaged_file_loads(tmp_path: Path) -> None:
    loaded = pc.load_catalog(_write(tmp_path, _rows()))
    assert loaded.entries == pc.entries()
    assert loaded.pairs() == pc.catalog_pairs()


@pytest.mark.parametrize(
    ("row", "changes", "message"),
    [
        (3, {"class": "hive_leaked"}, "line 4: unknown class 'hive_leaked'"),
        (3, {"role": "context"}, "line 4: role 'context': want failure (with a class)"),
        (11, {"role": "failure"}, "line 12: role 'failure'"),
        (26, {"remediates": "reboot"}, "line 27: remediates 'reboot'"),
        (5, {"families": "xp"}, "line 6: families 'xp'"),
        (5, {"families": ""}, "line 6: families ''"),
        (5, {"families": "xp2003;xp2003"}, "line 6: families"),
        (7, {"detail": "Error||1"}, "line 8: detail: bad field spec 'Error||1'"),
        (7, {"user_name": "1:lower"}, "line 8: user_name: bad field spec"),
        (7, {"detail": "@sid"}, "line 8: detail: @sid and @leak belong in user_sid only"),
        (9, {"user_sid": "@leak"}, "line 10: user_sid: @leak needs a detail or uphclean"),
        (26, {"user_sid": "@leak|@sid"}, "line 27: user_sid: @leak rows must not read"),
        (26, {"leak_body": ""}, "line 27: leak_parser detail needs leak_body"),
        (26, {"leak_parser": "xml"}, "line 27: unknown leak_parser 'xml'"),
        (9, {"leak_image": "1"}, "line 10: leak_image is set but leak_parser (none) reads nothing"),
        (1, {"text_match": "(unload"}, "line 2: text_match '(unload'"),
        (1, {"event_id": "x1000"}, "line 2: event_id 'x1000'"),
        (1, {"event_id": "70000"}, "line 2: event_id '70000'"),
        (1, {"kind": "Hive-Unload"}, "line 2: kind 'Hive-Unload' is not snake_case"),
        (1, {"provider": " Userenv"}, "line 2: provider ' Userenv' is empty or padded"),
        (
            16,
            {"aliases": "Profsvc;microsoft-windows-user profiles SERVICE"},
            "line 17: alias repeats",
        ),
        (12, {"meaning": ""}, "line 13: meaning is empty"),
        # an empty rule before a variant of the same provider and id hides it
        (1, {"text_match": ""}, "line 3: never reached, line 2 already takes every Userenv 1000"),
        (2, {"text_match": "\\bunload\\b.{0,40}\\bregistry\\b"}, "line 3: never reached"),
    ],
)
def test_a_bad_row_fails_the_load(
    tmp_path: Path, row: int, changes: dict[str, str], message: str
) -> None:
    path = _write(tmp_path, _edit(row, **changes))
    with pytest.raises(pc.CatalogError, match="^catalog.csv " + re.escape(message)):
        pc.load_catalog(path)


def test_bad_header_and_short_rows(tmp_path: Path) -> None:
    rows = _rows()
    with pytest.raises(pc.CatalogError, match="line 1: columns must be"):
        pc.load_catalog(_write(tmp_path, [[*rows[0][:-1], "notes"], *rows[1:]]))
    with pytest.raises(pc.CatalogError, match="line 5: 3 fields, want 19"):
        pc.load_catalog(_write(tmp_path, [*rows[:4], ["Userenv", "1", "x"], *rows[4:]]))
    with pytest.raises(pc.CatalogError, match="no rows"):
        pc.load_catalog(_write(tmp_path, rows[:1]))


def test_the_bad_rows_of_the_table_are_what_the_test_thinks() -> None:
    """The row numbers used above still point at the rows they mean."""
    rows = _rows()
    header = rows[0]

    def at(row: int) -> tuple[str, str, str]:
        r = rows[row]
        return (
            r[header.index("provider")],
            r[header.index("event_id")],
            r[header.index("leak_parser")],
        )

    assert at(1) == ("Userenv", "1000", "")
    assert at(2) == ("Userenv", "1000", "")
    assert at(16) == (PROFSVC, "1500", "")
    assert at(26) == (PROFSVC, "1530", "detail")


# ------------------------------------------------------------------------------ the fixture fleet


@dataclass(frozen=True)
class Logged:
    record: Record
    event_data: dict[str, Any]
    text: str


def _event_data(record: Record) -> dict[str, Any]:
    """What `events.event_data` holds for the record (pipeline/normalize/event_data.py)."""
    fields = record.kind.fields
    values = record.data_values
    if any(f.name is None for f in fields):
        return {"strings": [str(v) for v in values]}
    return {f.name: v for f, v in zip(fields, values, strict=True) if f.name is not None}


@pytest.fixture(scope="module")
def fleet_records() -> dict[tuple[str, str, int], Logged]:
    """The records of the committed fleet, regenerated in memory, by (host, channel, record id)."""
    args = FIXTURE_ARGS
    hosts = plan_fleet(
        random.Random(f"hivewatch-fleet-plan:{args['seed']}"), args["hosts"], ALL_FORMATS
    )
    coverage = plan_coverage(hosts, args["days"])
    out: dict[tuple[str, str, int], Logged] = {}
    for host in hosts:
        logs = HostScenario(host, args["seed"], args["days"], coverage[host.index]).run()
        for channel, records in logs.channels.items():
            for r in records:
                data = _event_data(r)
                out[(r.computer, channel, r.record_id)] = Logged(r, data, pc.event_text(data))
    return out


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TRUTH.read_text(encoding="utf-8"))
    return data


def _find(fleet: dict[tuple[str, str, int], Logged], host: str, event: dict[str, Any]) -> Logged:
    logged = fleet[(host, event["channel"], event["record_id"])]
    assert (logged.record.kind.provider, logged.record.kind.event_id) == (
        event["provider"],
        event["event_id"],
    )
    return logged


def test_truth_incident_events_resolve_to_their_class(
    fleet_records: dict[tuple[str, str, int], Logged], truth: dict[str, Any]
) -> None:
    seen: set[tuple[str, int, str | None]] = set()
    for incident in truth["incidents"]:
        for event in incident["events"]:
            logged = _find(fleet_records, incident["host"], event)
            entry = pc.lookup(event["provider"], event["event_id"], event["channel"], logged.text)
            assert entry is not None, event
            assert entry.event_class == event["class"], event
            seen.add((event["provider"].lower(), event["event_id"], event["class"]))
    assert len(seen) == 37  # every shape the fleet logs was checked


def test_truth_context_events_resolve_without_class(
    fleet_records: dict[tuple[str, str, int], Logged], truth: dict[str, Any]
) -> None:
    kinds = set()
    for incident in truth["incidents"]:
        for event in incident["context_events"]:
            logged = _find(fleet_records, incident["host"], event)
            entry = pc.lookup(event["provider"], event["event_id"], event["channel"], logged.text)
            assert entry is not None, event
            assert entry.event_class is None
            kinds.add(entry.kind)
    assert kinds == {"logoff_notification_received", "logoff_notification_finished"}


def test_truth_users_are_what_the_events_state(
    fleet_records: dict[tuple[str, str, int], Logged], truth: dict[str, Any]
) -> None:
    """user_sid / user_name read by the catalog's specs agree with the truth's incident user;
    1530 (logged by SYSTEM) names its user only through the leak body."""
    for incident in truth["incidents"]:
        sids: set[str] = set()
        names: set[str] = set()
        for event in incident["events"]:
            logged = _find(fleet_records, incident["host"], event)
            entry = pc.lookup(event["provider"], event["event_id"], event["channel"], logged.text)
            assert entry is not None
            if entry.sid_from_leak:
                assert (
                    pc.read_field(
                        logged.event_data, entry.user_sid, security_sid=logged.record.user_sid
                    )
                    is None
                )
                sids |= {
                    leak["user_sid"]
                    for leak in incident["leaks"]
                    if leak["record_id"] == event["record_id"]
                }
            else:
                sid = pc.read_field(
                    logged.event_data, entry.user_sid, security_sid=logged.record.user_sid
                )
                if sid is not None:
                    sids.add(sid)
            name = pc.read_field(logged.event_data, entry.user_name)
            if name is not None:
                names.add(name)
        expected_sids = {incident["user_sid"]} - {None}
        expected_names = {incident["user_name"]} - {None}
        assert (sids, names) == (expected_sids, expected_names), incident["script"]


def test_truth_leak_events_carry_their_parser_fields(
    fleet_records: dict[tuple[str, str, int], Logged], truth: dict[str, Any]
) -> None:
    checked = 0
    for incident in truth["incidents"]:
        for event in incident["events"]:
            logged = _find(fleet_records, incident["host"], event)
            entry = pc.lookup(event["provider"], event["event_id"], event["channel"], logged.text)
            assert entry is not None
            if entry.leak_parser is None:
                continue
            for column in pc.LEAK_PARSERS[entry.leak_parser]:
                value = pc.read_field(logged.event_data, getattr(entry, column))
                assert value, (event, column)
            if entry.leak_parser == "lock":
                pid = pc.read_field(logged.event_data, entry.leak_pid)
                assert pid == str(logged.record.values[1])
            if entry.leak_parser == "uphclean":
                header = pc.read_field(logged.event_data, entry.leak_header) or ""
                assert pc.read_field({"strings": [header]}, "1:sid") == incident["user_sid"]
            checked += 1
    assert checked == 20


# ------------------------------------------------------------------------------ the synth catalog


def _synth_profile_kinds() -> list[EventKind]:
    return [
        *C.USERENV_KINDS.values(),
        *C.PROFSVC_KINDS.values(),
        C.PROFSVC_1530_INFO,
        C.PROFSVC_1530_CLASSIC,
        C.PROFGEN_1509,
        *C.OPERATIONAL_KINDS.values(),
        *C.UPHCLEAN_KINDS.values(),
        *(C.lower_case_source(k) for k in C.UPHCLEAN_KINDS.values()),
        *C.OFFLINE_FILES_KINDS.values(),
        C.POPUP_333,
        C.POPUP_333_VISTA,
    ]


def test_every_profile_event_the_fleet_can_log_has_a_row() -> None:
    for kind in _synth_profile_kinds():
        text = UNLOAD_USER if (kind.provider, kind.event_id) == (C.USERENV, 1000) else ""
        entry = pc.lookup(kind.provider, kind.event_id, kind.channel, text)
        assert entry is not None, (kind.provider, kind.event_id)
        if kind.event_source:
            assert pc.lookup(kind.event_source, kind.event_id, kind.channel, text) == entry


def test_no_background_event_is_a_profile_event() -> None:
    tables = (B.NEW_SYSTEM, B.NEW_APPLICATION, B.OLD_SYSTEM, B.OLD_APPLICATION)
    for table in tables:
        for background in table:
            kind = background.kind
            text = kind.message + " " + UNLOAD_USER  # even an unload-like text does not help
            assert pc.lookup(kind.provider, kind.event_id, kind.channel, text) is None, (
                kind.provider,
                kind.event_id,
            )


def test_reads_text_exactly_for_pairs_with_a_text_rule() -> None:
    """A text-free lookup must give the same row as one with the text, for every pair that
    `reads_text` says ignores it: the derive step builds the text only for the others."""
    with_rule = {(name, e.event_id) for e in pc.entries() if e.pattern for name in e.names}
    assert ("userenv", 1000) in with_rule
    for provider, event_id in pc.catalog_pairs():
        assert pc.reads_text(provider, event_id) == ((provider, event_id) in with_rule)
        if not pc.reads_text(provider, event_id):
            for text in ("", UNLOAD_USER, QUOTA):
                assert pc.lookup(provider, event_id, None, text) == pc.lookup(
                    provider, event_id, None, ""
                )
    assert pc.reads_text("USERENV ", 0xC000_03E8)
    assert not pc.reads_text(None, 1000) and not pc.reads_text("Nobody", 1000)
