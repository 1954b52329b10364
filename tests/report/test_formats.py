"""Every format of the report over the fixture fleet carries the fleet's ground truth."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

from lxml import etree, html

from pipeline.query.sql import run_sql
from pipeline.report.gather import BEGINNING
from pipeline.report.queries import report_sql
from tests.report.helpers import report


def class_totals(truth: dict[str, Any]) -> Counter[str]:
    return Counter(incident["class"] for incident in truth["incidents"])


def top(truth: dict[str, Any]) -> dict[str, Any]:
    first: dict[str, Any] = truth["offenders"][0]
    return first


def sides_of(truth: dict[str, Any], side: str) -> dict[str, tuple[int, int, int]]:
    """(hosts, incidents, users) of each process, or each key (lower-case), from the truth."""
    seen: dict[str, tuple[set[str], set[int], set[str]]] = {}
    for number, incident in enumerate(truth["incidents"]):
        for leak in incident["leaks"]:
            name = leak["process_name"] if side == "process" else leak["key"].lower()
            hosts, incidents, users = seen.setdefault(name, (set(), set(), set()))
            hosts.add(incident["host"])
            incidents.add(number)
            users.update([leak["user_sid"]] if leak["user_sid"] else [])
    return {name: (len(h), len(i), len(u)) for name, (h, i, u) in seen.items()}


def test_period_offenders_equal_the_offenders_table(warehouse: Path) -> None:
    ours = run_sql(warehouse, report_sql("offenders"), {"since": BEGINNING})  # type: ignore[dict-item]
    table = run_sql(warehouse, "select * from offenders")
    assert ours.rows == table.rows and len(ours.rows) > 10


def test_json(warehouse: Path, truth: dict[str, Any]) -> None:
    data = json.loads(report(warehouse, "--format", "json").stdout)
    coverage = data["coverage"]
    assert coverage["hosts"] == len(truth["hosts"])
    assert coverage["records"] == truth["records"]["distinct"]
    assert coverage["incidents"] == len(truth["incidents"])
    assert coverage["ingest_problems"] == 5  # 3 partial damaged copies, README and truth.json
    by_class = {row["class"]: row["incidents"] for row in data["incident_classes"]}
    assert by_class == class_totals(truth)
    weekly = Counter[str]()
    for row in data["incidents_by_week"]:
        weekly[row["class"]] += row["incidents"]
    assert weekly == class_totals(truth)
    people: dict[str, set[str]] = {}  # class or host -> who its incidents were about
    for incident in truth["incidents"]:
        account = incident["account"]  # None: its events name no user (a popup)
        for group in (incident["class"], incident["host"]):
            people.setdefault(group, set()).update([account["sid"]] if account else [])
    assert {row["class"]: row["users"] for row in data["incident_classes"]} == {
        cls: len(people[cls]) for cls in by_class
    }
    assert {row["host"]: row["users"] for row in data["hosts"]} == {
        row["host"]: len(people[row["host"]]) for row in data["hosts"]
    }
    fields = ("process_name", "key", "incidents", "hosts", "users")
    shown = [tuple(o[f] for f in fields) for o in data["top_offenders"]]
    assert shown == [tuple(o[f] for f in fields) for o in truth["offenders"][: len(shown)]]
    assert data["offender_pairs"] == len(truth["offenders"])
    for side, shown_sides in (("process", data["top_processes"]), ("key", data["top_keys"])):
        want = sides_of(truth, side)
        got = {o["name"].lower(): (o["hosts"], o["incidents"], o["users"]) for o in shown_sides}
        assert got == {name: want[name] for name in got} and len(got) == min(15, len(want))
        ranks = [(-o["hosts"], -o["incidents"], o["name"].lower()) for o in shown_sides]
        assert ranks == sorted(ranks)
    assert data["offending_processes"] == len(sides_of(truth, "process"))
    assert data["offending_keys"] == len(sides_of(truth, "key"))
    assert data["changes"]["previous_run"] is None
    assert {row["status"] for row in data["problem_files"]} == {"partial", "rejected"}
    assert {(g["class"], g["os_family"]) for g in data["class_guidance"]} <= {
        (i["class"], i["os_family"]) for i in truth["incidents"]
    }
    assert any(g["match"] == "svchost.exe" for g in data["offender_guidance"])


def test_markdown(warehouse: Path, truth: dict[str, Any]) -> None:
    text = report(warehouse, "--format", "md").stdout
    for name, count in class_totals(truth).items():
        assert f"| {name} | {count} |" in text
    best = top(truth)
    key = best["key"].replace("\\", "\\\\")
    assert f"| 1 | {best['process_name']} | {key} | {best['hosts']} | {best['incidents']} |" in text
    assert f"| {len(truth['hosts'])} | " in text
    assert "First report for this warehouse" in text
    assert "## Files partial or rejected" in text and "| rejected |" in text


def test_csv(warehouse: Path, truth: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(report(warehouse, "--format", "csv").stdout)))
    assert set(rows[0]) == {"section", "row", "field", "value"}
    classes: dict[str, dict[str, str]] = {}
    for row in rows:
        if row["section"] == "incident_classes":
            classes.setdefault(row["row"], {})[row["field"]] = row["value"]
    assert {r["class"]: int(r["incidents"]) for r in classes.values()} == class_totals(truth)
    first = {
        r["field"]: r["value"] for r in rows if r["section"] == "top_offenders" and r["row"] == "1"
    }
    assert first["process_name"] == top(truth)["process_name"]
    assert first["key"] == top(truth)["key"]
    assert int(first["incidents"]) == top(truth)["incidents"]
    hosts = [r for r in rows if r["section"] == "coverage" and r["field"] == "hosts"]
    assert [int(r["value"]) for r in hosts] == [len(truth["hosts"])]


def test_html(warehouse: Path, truth: dict[str, Any]) -> None:
    text = report(warehouse, "--format", "html").stdout
    etree.fromstring(text.split("\n", 1)[1].encode())  # well-formed XML after the doctype
    page = html.fromstring(text)
    assert not page.xpath("//script") and not page.xpath("//*[@src or @href]")
    assert len(page.xpath("//*[local-name()='svg']")) == 2
    cells = [[td.text_content() for td in tr.xpath("td")] for tr in page.xpath("//tr")]
    for name, count in class_totals(truth).items():
        assert any(row[:2] == [name, str(count)] for row in cells), name
    best = top(truth)
    assert ["1", best["process_name"], best["key"], str(best["hosts"])] in [r[:4] for r in cells]
    bars = page.xpath("//*[local-name()='rect']/*[local-name()='title']/text()")
    label = f"{best['process_name']}  {best['key']}: {best['incidents']} incidents, "
    assert any(t.startswith(label) for t in bars), bars
    notes = page.xpath("//*[local-name()='svg']/*[local-name()='text']/text()")
    assert f"{best['incidents']} incidents, {best['hosts']} hosts" in notes
