"""Names from the logs are attacker-controlled: no format lets them act as markup."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import etree, html

from tests.report.helpers import report
from tests.report.hostile import HOST, IMG, KEY_TAIL, PROCESS_IMAGE, SCRIPT

PROCESS = PROCESS_IMAGE.rsplit("\\", 1)[1].lower()
KEY = "HKCU\\" + KEY_TAIL


def test_html_escapes_every_hostile_name(hostile_warehouse: Path) -> None:
    text = report(hostile_warehouse, "--format", "html").stdout
    for needle in (SCRIPT, IMG, "<script", "<img", "]]>", "\"'quoted'\"", "'quoted'"):
        assert needle not in text, needle
    # the page's own closing tags only: two charts, one style sheet
    assert text.count("</svg>") == 2 and text.count("</style>") == 1
    assert text.count("<svg") == 2 and text.count("<style") == 1
    # Well-formed as XML (so as XHTML), and as HTML no element or attribute came from data.
    document = etree.fromstring(text.split("\n", 1)[1].encode())
    assert document.tag == "{http://www.w3.org/1999/xhtml}html"
    page = html.fromstring(text)
    assert not page.xpath("//script | //img | //iframe | //object | //embed")
    assert len(page.xpath("//style")) == 1
    assert not [a for a in page.xpath("//@*") if a.attrname.lower().startswith("on")]
    assert len(page.xpath("//*[local-name()='svg']")) == 2
    # ... and the names are shown, as text, in tables and inside the SVG charts.
    shown = page.text_content()
    for name in (HOST, PROCESS, KEY, f"{IMG}.evtx"):
        assert name in shown, name
    svg_text = " ".join(page.xpath("//*[local-name()='svg']//text()"))
    assert PROCESS in svg_text and KEY in svg_text


def test_markdown_escapes_every_hostile_name(hostile_warehouse: Path) -> None:
    text = report(hostile_warehouse, "--format", "md").stdout
    assert not re.search(r"(?<!\\)[<>&`]", text), "every markup character is escaped"
    assert "WS-\\<script\\>alert(1)\\</script\\>" in text
    tables: list[list[str]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(line)
        previous = line
    assert len(tables) > 5
    for table in tables:  # a name holding '|' does not add a column
        assert len({len(re.findall(r"(?<!\\)\|", line)) for line in table}) == 1, table[0]


def test_json_and_csv_keep_names_exact(hostile_warehouse: Path) -> None:
    data = json.loads(report(hostile_warehouse, "--format", "json").stdout)
    hosts = {h["host"] for h in data["hosts"]}
    assert HOST in hosts
    assert (PROCESS, KEY) in {(o["process_name"], o["key"]) for o in data["top_offenders"]}
    text = report(hostile_warehouse, "--format", "csv").stdout
    assert f"{IMG}.evtx" in text  # CSV is data: exact text, quoted by the csv module
