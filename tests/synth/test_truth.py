"""truth.json agrees with the files, as read back by the public parsers, and the fleet
covers every OS generation, event kind, incident class and quirk of shared/domain.md."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import PurePosixPath

import evtx as pyevtx_rs
import pyevt
import pytest
from lxml import etree

from pipeline.synth.evtx_templates import EVENT_NAMESPACE

NS = {"e": EVENT_NAMESPACE}
EVT_CHANNELS = {"appevent.evt": "Application", "sysevent.evt": "System"}
CLASSES = {
    "hive_leak_forced_unload",
    "hive_held_memory_not_freed",
    "classes_hive_held",
    "unload_access_denied",
    "uphclean_released",
    "uphclean_failed",
    "hive_locked_by_process",
    "profile_not_deleted",
    "roaming_sync_failed",
    "profile_load_failed",
    "registry_quota",
}
PROFSVC = "Microsoft-Windows-User Profiles Service"
REQUIRED_EVENTS = (
    [
        ("Userenv", i)
        for i in (
            1000,
            1500,
            1502,
            1504,
            1508,
            1509,
            1511,
            1512,
            1515,
            1516,
            1517,
            1521,
            1524,
            1525,
        )
    ]
    + [
        (PROFSVC, i)
        for i in (
            1500,
            1502,
            1504,
            1508,
            1511,
            1512,
            1515,
            1517,
            1521,
            1524,
            1530,
            1533,
            1534,
            1541,
            1542,
            1545,
            1552,
            1,
            2,
            3,
            4,
            5,
            67,
        )
    ]
    + [("Microsoft-Windows-User Profiles General", 1509), ("Application Popup", 333)]
    + [("uphclean", i) for i in (1001, 1010, 1111, 1201, 1211, 1401, 1501, 1511)]
    + [("Microsoft-Windows-OfflineFiles", i) for i in (7, 8, 9, 10, 1004, 1008, 2005, 2006)]
)


def _us(iso):
    """'...:SS.fffffff Z' or '...:SS.ffffffZ' -> microsecond text, as truth.json writes it."""
    head, _, frac = iso.rstrip("Z").partition(".")
    return f"{head}.{(frac + '000000')[:6]}Z"


def _read_evtx(path):
    for r in pyevtx_rs.PyEvtxParser(str(path)).records_json():
        e = json.loads(r["data"])["Event"]
        s = e["System"]
        eid = s["EventID"]["#text"] if isinstance(s["EventID"], dict) else s["EventID"]
        data = e.get("EventData") or {}
        texts = data.get("Data", {}).get("#text") if isinstance(data.get("Data"), dict) else None
        values = (
            texts
            if isinstance(texts, list)
            else [texts]
            if texts is not None
            else [v for k, v in data.items() if k not in ("#attributes", "Binary")]
        )
        yield (
            s["Computer"],
            s["Channel"],
            s["EventRecordID"],
            _us(s["TimeCreated"]["#attributes"]["SystemTime"]),
            s["Provider"]["#attributes"]["Name"],
            eid,
            [str(v) for v in values],
        )


def _read_evt(path):
    log = pyevt.file()
    log.open(str(path))
    channel = EVT_CHANNELS[path.name.lower()]
    for i in range(log.number_of_records):
        r = log.get_record(i)
        yield (
            r.computer_name,
            channel,
            r.identifier,
            r.creation_time.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            r.source_name,
            r.event_identifier & 0xFFFF,
            list(r.strings),
        )
    log.close()


def _read_xml(path):
    data = path.read_bytes()
    if not data.startswith(b"<?xml"):
        data = b"<Events>" + data + b"</Events>"
    for e in etree.fromstring(data).findall("e:Event", NS):

        def g(p, e=e):
            return e.findtext(f"e:System/e:{p}", namespaces=NS)

        t = e.find("e:System/e:TimeCreated", NS).get("SystemTime")
        values = [d.text or "" for d in e.findall("e:EventData/e:Data", NS)]
        yield (
            g("Computer"),
            g("Channel"),
            int(g("EventRecordID")),
            _us(t),
            e.find("e:System/e:Provider", NS).get("Name"),
            int(g("EventID")),
            values,
        )


READERS = {"evtx": _read_evtx, "evt": _read_evt, "xml": _read_xml}


@pytest.fixture(scope="module")
def index(fleet):
    """(host, channel, record_id, time) -> (provider, event id, values), from every good file."""
    out = {}
    for entry in fleet.truth["files"]:
        if entry.get("damage"):
            continue
        for host, channel, rid, t, provider, eid, values in READERS[entry["format"]](
            fleet.root / PurePosixPath(entry["path"])
        ):
            key = (host, channel, rid, t)
            assert out.setdefault(key, (provider, eid, values)) == (provider, eid, values), key
    return out


def test_distinct_records_match(fleet, index):
    assert len(index) == fleet.truth["records"]["distinct"] == fleet.summary.records
    assert fleet.truth["records"]["written"] > len(index)  # overlaps and forwarded copies


def test_hosts_and_generations(fleet, index):
    hosts = {k[0] for k in index}
    assert hosts == {h["host"] for h in fleet.truth["hosts"]}
    assert len(hosts) == fleet.summary.hosts == 8
    families = {h["os_family"] for h in fleet.truth["hosts"]}
    assert families == {"nt4", "win2000", "xp2003", "vista+"}
    forwarded = next(f for f in fleet.truth["files"] if f.get("forwarded"))
    assert len(forwarded["hosts"]) >= 3
    assert any(h.endswith(".corp.contoso.com") for h in hosts)
    assert any("." not in h for h in hosts)


def test_every_incident_event_is_in_the_files(fleet, index):
    for inc in fleet.truth["incidents"]:
        for ev in inc["events"] + inc["context_events"]:
            key = (inc["host"], ev["channel"], ev["record_id"], ev["time_created"])
            provider, eid, _ = index[key]
            assert (provider, eid) == (ev["provider"], ev["event_id"])
        assert inc["class"] in CLASSES


def test_leaks_match_the_bodies(fleet, index):
    for inc in fleet.truth["incidents"]:
        for leak in inc["leaks"]:
            ev = next(e for e in inc["events"] if e["record_id"] == leak["record_id"])
            _, eid, values = index[
                (inc["host"], ev["channel"], ev["record_id"], ev["time_created"])
            ]
            text = "\n".join(values)
            if eid == 1530:
                sid = leak["user_sid"]
                suffix = (
                    leak["key"][len("HKCU\\Software\\Classes") :]
                    if leak["hive"] == "classes"
                    else leak["key"][4:]
                )
                hive = f"{sid}_CLASSES" if leak["hive"] == "classes" else sid
                line = (
                    f"Process {leak['process_id']} ({leak['process_image']}) has opened key "
                    f"\\REGISTRY\\USER\\{hive}{suffix}"
                )
                assert (
                    sum(1 for x in text.splitlines() if x.rstrip("\r") == line) == leak["handles"]
                )
            elif eid in (1545, 1552):
                assert leak["process_image"] in values and str(leak["process_id"]) in values
            else:
                assert f"{leak['process_image']} ({leak['process_id']})" in text
                assert (
                    len(re.findall(rf"^  {re.escape(leak['key'])} \(0x[0-9a-f]+\)", text, re.M))
                    >= leak["handles"]
                )


def test_coverage_of_events_classes_and_remedies(fleet, index):
    seen = {(p.lower(), e) for p, e, _ in index.values()}
    missing = [(p, e) for p, e in REQUIRED_EVENTS if (p.lower(), e) not in seen]
    assert not missing
    incidents = fleet.truth["incidents"]
    assert {i["class"] for i in incidents} == CLASSES
    assert {i["remediated_by"] for i in incidents} == {"none", "uphclean", "profile_service"}
    assert any(set(i["event_ids"]) >= {1517, 1524, 1401} for i in incidents)
    assert any(
        i["event_ids"] == [1530] and {c["event_id"] for c in i["context_events"]} == {3, 4}
        for i in incidents
    )
    providers = {p for p, *_ in index.values()}
    assert "UPHClean" in providers and "uphclean" in providers


def test_detail_and_body_quirks(fleet, index):
    details = [v[0] for p, e, v in index.values() if e == 1530 and v]
    uph = [
        "\n".join(v)
        for p, e, v in index.values()
        if p.lower() == "uphclean" and e in (1201, 1211, 1401, 1501)
    ]
    joined = "\n".join(details)
    assert any(d.startswith(" ") and "user registry handles" in d for d in details)
    assert any(d.startswith("DETAIL - ") for d in details)
    assert any(d.startswith("DETAIL \u2013 ") for d in details)
    assert "_Classes:" in joined and "_CLASSES" in joined
    assert "Program Files (x86)" in joined and "agent host.exe" in joined
    assert re.search(r"has opened key \\REGISTRY\\USER\\S-1-5-21-[\d-]+\r?$", joined, re.M)
    assert re.search(r"has opened key \\REGISTRY\\USER\\S-1-5-21-[\d-]+\\(\w+\\){5,}", joined)
    mismatched = repeated = 0
    for d in details:
        body = d.split("\r\n")
        count = int(re.search(r"(\d+) user registry handles", d).group(1))
        lines = [x for x in body if x.startswith("Process ")]
        mismatched += count != len(lines)
        repeated += len(lines) != len(set(lines))
    assert mismatched and repeated
    bodies = "\n".join(uph)
    assert re.search(r"^  HKCU[^\r\n]* \(0x[0-9a-f]+\) error \d+", bodies, re.M)
    assert re.search(r"^    0x[0-9a-f]{8} \w+!\w+\+0x[0-9a-f]+", bodies, re.M)
    assert re.search(r"^  HKCU\\Software\\Classes", bodies, re.M)


def test_offenders_ranking(fleet):
    rows = fleet.truth["offenders"]
    order = [(-r["hosts"], -r["incidents"], r["process_name"], r["key"].lower()) for r in rows]
    assert order == sorted(order)
    assert rows[0]["hosts"] >= 2
    assert sum(1 for r in rows if r["incidents"] == 1) >= len(rows) // 3  # a long tail
    counted = Counter()
    for inc in fleet.truth["incidents"]:
        for pair in {(x["process_name"], x["key"].lower()) for x in inc["leaks"]}:
            counted[pair] += 1
    assert {(r["process_name"], r["key"].lower()): r["incidents"] for r in rows} == dict(counted)
    assert all(r["process_name"] == r["process_name"].lower() for r in rows)
    assert all(r["key"] == "HKCU" or r["key"].startswith("HKCU\\") for r in rows)


def test_kernel_paths_of_keys():
    from pipeline.synth.bodies import registry_path

    sid = "S-1-5-21-1-2-3-1001"
    assert registry_path(sid, "HKCU") == f"\\REGISTRY\\USER\\{sid}"
    assert registry_path(sid, "HKCU\\Software\\Classes") == f"\\REGISTRY\\USER\\{sid}_CLASSES"
    assert (
        registry_path(sid, "HKCU\\Software\\Classes\\CLSID")
        == f"\\REGISTRY\\USER\\{sid}_CLASSES\\CLSID"
    )
    # a sibling key whose name only begins like the classes root is in the user hive
    assert (
        registry_path(sid, "HKCU\\Software\\ClassesOld")
        == f"\\REGISTRY\\USER\\{sid}\\Software\\ClassesOld"
    )
