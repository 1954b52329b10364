"""XML exports: both shapes and encodings, the event schema's corners, damage, hostile input."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import duckdb
import pytest
from evtx import PyEvtxParser

from pipeline.decode.xml import read_xml
from pipeline.records import DecodeStats, EventRow
from pipeline.store.catalog import CATALOG
from tests.conftest import EVTX_SAMPLES, run_ingest

NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def event(
    record_id: int,
    data: str = "<EventData><Data Name='Detail'>x</Data></EventData>",
    time: str = "2024-03-04T19:44:08.4861830Z",
    quote: str = "'",
) -> str:
    q = quote
    return (
        f"<Event xmlns={q}{NS}{q}><System><Provider Name={q}Microsoft-Windows-User Profiles"
        f" Service{q} Guid={q}{{89B1E9F0-5AFF-44A6-9B44-0A07A7CE5845}}{q}/>"
        f"<EventID Qualifiers={q}16384{q}>1530</EventID><Version>0</Version><Level>3</Level>"
        f"<TimeCreated SystemTime={q}{time}{q}/><EventRecordID>{record_id}</EventRecordID>"
        f"<Execution ProcessID={q}1212{q} ThreadID={q}3434{q}/><Channel>Application</Channel>"
        f"<Computer>WS-1</Computer><Security UserID={q}S-1-5-18{q}/></System>{data}</Event>"
    )


def read(path: Path) -> tuple[list[EventRow], DecodeStats]:
    stats = DecodeStats()
    return list(read_xml(path, "auto", stats)), stats


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "export.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def wevtutil(*events: str) -> str:
    """`wevtutil qe LOG /f:xml`: events one after another, no declaration, no root."""
    return "".join(events)


def event_viewer(*events: str, encoding: str = "utf-8") -> str:
    body = "\r\n".join(events)
    declaration = f'<?xml version="1.0" encoding="{encoding}" standalone="yes"?>'
    return f"{declaration}\r\n<Events>\r\n{body}\r\n</Events>"


@pytest.mark.parametrize(
    ("shape", "encoding"),
    [
        ("wevtutil", "utf-8"),
        ("wevtutil", "utf-8-sig"),
        ("wevtutil", "utf-16"),  # with a byte-order mark
        ("wevtutil", "utf-16-le"),  # without one
        ("event viewer", "utf-8"),
        ("event viewer", "utf-16"),
        ("powershell", "utf-8"),
    ],
)
def test_each_shape_and_encoding(tmp_path: Path, shape: str, encoding: str) -> None:
    events = [event(n, quote='"' if shape == "powershell" else "'") for n in (7, 8, 9)]
    if shape == "wevtutil":
        text = wevtutil(*events)
    elif shape == "powershell":
        text = "\n".join(events) + "\n"
    else:
        declared = "UTF-16" if encoding.startswith("utf-16") else "utf-8"
        text = event_viewer(*events, encoding=declared)
    rows, stats = read(write(tmp_path, text, encoding))
    assert [r.record_id for r in rows] == [7, 8, 9] and stats.skipped == 0
    assert rows[0] == EventRow(
        host="WS-1",
        channel="Application",
        provider="Microsoft-Windows-User Profiles Service",
        event_id=1530,
        qualifiers=16384,
        level=3,
        time_created="2024-03-04T19:44:08.4861830Z",
        record_id=7,
        process_id=1212,
        thread_id=3434,
        user_sid="S-1-5-18",
        event_data='{"Detail":"x"}',
    )


@pytest.mark.parametrize(
    ("data", "payload"),
    [
        ("<EventData><Data>a</Data><Data>b</Data></EventData>", {"strings": ["a", "b"]}),
        (
            "<EventData><Data Name='Detail'>x</Data><Data Name='Error'>5</Data></EventData>",
            {"Detail": "x", "Error": "5"},
        ),
        (
            "<EventData><Data Name='Account'/><Data Name='Port'></Data></EventData>",
            {"Account": "", "Port": ""},
        ),
        (
            "<EventData Name='PROFSVC_DETAIL'><Data Name='Detail'>x</Data></EventData>",
            {"#attributes": {"Name": "PROFSVC_DETAIL"}, "Detail": "x"},
        ),
        (
            "<EventData><Data>DETAIL - &#13;&#10; 2 user registry handles</Data></EventData>",
            {"strings": ["DETAIL - \r\n 2 user registry handles"]},
        ),
        (
            "<EventData><Data>a</Data><Binary>0A0B</Binary></EventData>",
            {"strings": ["a"], "Binary": "0A0B"},
        ),
        (
            "<UserData><EventXML xmlns='Event_NS'><User>bob</User><Count>2</Count></EventXML>"
            "</UserData>",
            # the namespace an element declares is kept as pyevtx-rs keeps it
            {
                "UserData": {
                    "EventXML": {"#attributes": {"xmlns": "Event_NS"}, "User": "bob", "Count": "2"}
                }
            },
        ),
    ],
    ids=["unnamed", "named", "named-empty", "eventdata-name", "crlf-kept", "binary", "userdata"],
)
def test_event_data_shapes(tmp_path: Path, data: str, payload: dict) -> None:
    rows, _ = read(write(tmp_path, wevtutil(event(1, data))))
    got = json.loads(str(rows[0].event_data))
    assert got == payload


@pytest.mark.parametrize(
    "text",
    [
        "<?xml version='1.0'?><?xml-stylesheet type='text/xsl' href='events.xsl'?>"
        f"<Events>{event(1)}</Events>",
        "<!-- exported 2024-03-04 -->\n" + event(1),
        event(1).replace("<Event xmlns=", "<e:Event xmlns:e=").replace("</Event>", "</e:Event>"),
    ],
    ids=["stylesheet", "comment-first", "prefixed-root"],
)
def test_exports_with_a_longer_prologue_or_a_prefixed_root_are_read(
    tmp_path: Path, text: str
) -> None:
    summary = run_ingest([write(tmp_path, text)], tmp_path / "wh")
    assert (summary.records, summary.rejected) == (1, [])


def test_an_ansi_export_without_a_declaration_keeps_its_accents(tmp_path: Path) -> None:
    """Windows PowerShell 5.1 `ToXml() | Set-Content`: the ANSI code page, no declaration.
    Across a block boundary too; UTF-8 text in the same file stays UTF-8."""
    ansi = event(1, "<EventData><Data Name='Detail'>C:\\Users\\Jörg Müller</Data></EventData>")
    utf8 = event(2, "<EventData><Data Name='Detail'>Zoë</Data></EventData>")
    padding = " " * (4095 - ansi.index("ö"))  # the 'ö' is the last byte of the first block
    path = tmp_path / "export.xml"
    path.write_bytes((padding + ansi).encode("cp1252") + utf8.encode("utf-8"))
    rows, stats = read(path)
    details = [json.loads(str(r.event_data))["Detail"] for r in rows]
    assert details == ["C:\\Users\\Jörg Müller", "Zoë"]
    assert stats.problems == [
        "2 bytes are not UTF-8 and the file declares no encoding: read as Windows-1252 (ANSI)"
    ]


def test_seven_fractional_digits_reach_the_warehouse_as_microseconds(tmp_path: Path) -> None:
    path = write(tmp_path, wevtutil(event(1, time="2024-03-04T19:44:08.4861839Z")))
    run_ingest([path], tmp_path / "wh")
    with duckdb.connect(str(tmp_path / "wh" / CATALOG), read_only=True) as con:
        (value,) = con.execute("select time_created::varchar from events").fetchone() or ("",)
    assert value == "2024-03-04 19:44:08.486183"


def test_times_with_an_offset_are_utc_and_unreadable_ones_are_kept_and_said(
    tmp_path: Path,
) -> None:
    """A leak report (1530) whose time is no time is kept, says so, and joins no incident;
    it must not stop the batch."""
    sid = "S-1-5-21-1-2-3-1001"
    leak = (
        f"1 user registry handles leaked from \\Registry\\User\\{sid}:\r\nProcess 42"
        f" (\\Device\\HarddiskVolume2\\Windows\\System32\\svchost.exe) has opened key"
        f" \\REGISTRY\\USER\\{sid}\\Software\r\n"
    )
    data = f"<EventData><Data Name='Detail'>{leak}</Data></EventData>"
    times = ["2024-03-04T20:44:08.4861839+01:00", "2024-03-04T19:45:00z", "no time", "2024-03-"]
    path = write(tmp_path, wevtutil(*(event(n, data, time) for n, time in enumerate(times, 1))))
    summary = run_ingest([path], tmp_path / "wh")
    assert summary.records == 4 and not summary.rejected
    with duckdb.connect(str(tmp_path / "wh" / CATALOG), read_only=True) as con:
        kept = con.execute("select record_id, time_created::varchar from events order by 1")
        assert kept.fetchall() == [
            (1, "2024-03-04 19:44:08.486183"),
            (2, "2024-03-04 19:45:00"),
            (3, None),
            (4, None),
        ]
        status, error = con.execute("select status, error from ingest_files").fetchone() or ()
        leaks = con.execute("select count(*), count(time_created) from hive_leaks").fetchone()
        incidents = con.execute("select started from unload_incidents").fetchall()
    assert status == "partial" and error.startswith("2 records without a readable TimeCreated")
    assert leaks == (4, 2)
    assert incidents == [(datetime(2024, 3, 4, 19, 44, 8, 486183),)]


def test_events_without_a_record_number_are_never_merged(tmp_path: Path) -> None:
    """No EventRecordID: the identity is incomplete, so two such events at one time are two
    rows, in one batch and across batches; complete identities still merge."""
    unnumbered = [
        event(0, f"<EventData><Data Name='Detail'>{n}</Data></EventData>").replace(
            "<EventRecordID>0</EventRecordID>", ""
        )
        for n in ("a", "b")
    ]
    first = write(tmp_path, wevtutil(*unnumbered, event(7)), name="first.xml")
    second = write(tmp_path, wevtutil(unnumbered[0], event(7), event(8)), name="second.xml")
    root = tmp_path / "wh"
    assert run_ingest([first], root).new_events == 3
    assert run_ingest([second], root).new_events == 2
    with duckdb.connect(str(root / CATALOG), read_only=True) as con:
        counted = con.execute("select record_id, count(*) from events group by 1 order by 1")
        assert counted.fetchall() == [(7, 1), (8, 1), (None, 3)]


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ("<Event xmlns='x'><System><Level>4</System></Event>", "malformed"),
        ("<Event xmlns='x'><System>", "cut off"),
        ("</System></Event>", "without a start"),
    ],
    ids=["mismatched-tags", "truncated-event", "lost-start"],
)
def test_a_malformed_event_costs_itself_only(tmp_path: Path, broken: str, reason: str) -> None:
    text = wevtutil(event(1), broken, event(2), event(3))
    rows, stats = read(write(tmp_path, text))
    assert [r.record_id for r in rows] == [1, 2, 3]
    assert stats.skipped == 1 and reason in stats.problems[0]


def test_characters_xml_forbids_cost_only_themselves(tmp_path: Path) -> None:
    """Raw or as character references, each becomes U+FFFD; the event and the rest stay."""
    value = "a&#x1;b&#65535;c\ufffed\x07e&#x41;&#10;"
    text = wevtutil(event(1, f"<EventData><Data Name='Detail'>{value}</Data></EventData>"))
    rows, stats = read(write(tmp_path, text))
    assert stats.skipped == 0 and [r.record_id for r in rows] == [1]
    assert json.loads(rows[0].event_data or "") == {"Detail": "a\ufffdb\ufffdc\ufffdd\ufffdeA\n"}


@pytest.mark.parametrize("block_chars", [1 << 20, 7])
def test_event_tags_inside_comments_and_cdata_are_text(tmp_path: Path, block_chars: int) -> None:
    import pipeline.decode.xml as module

    cdata = "<![CDATA[<Event> x </Event> <!-- ]]>"
    filler = [event(n) for n in range(100, 140)]  # past the first 4096 bytes read whole
    text = event_viewer(
        *filler,
        event(1),
        f"<!-- an older copy: {event(99)} -->",
        event(2, f"<EventData><Data Name='Detail'>{cdata}</Data></EventData>"),
        "<!-- <Event> -->",
        event(3),
    )
    saved = module.BLOCK_CHARS
    module.BLOCK_CHARS = block_chars  # a comment or CDATA section cut between blocks too
    try:
        rows, stats = read(write(tmp_path, text))
    finally:
        module.BLOCK_CHARS = saved
    assert [r.record_id for r in rows][40:] == [1, 2, 3] and stats.skipped == 0, stats.problems
    assert json.loads(rows[41].event_data or "") == {"Detail": "<Event> x </Event> <!-- "}


def test_an_element_without_system_is_no_event(tmp_path: Path) -> None:
    text = wevtutil(event(1), f"<Event xmlns='{NS}'><EventData/></Event>", event(2))
    rows, stats = read(write(tmp_path, text))
    assert [r.record_id for r in rows] == [1, 2]
    assert stats.skipped == 1 and "event 2 has no <System>" in stats.problems[0]


def test_a_file_cut_inside_its_last_event(tmp_path: Path) -> None:
    whole = wevtutil(event(1), event(2))
    rows, stats = read(write(tmp_path, whole[: len(whole) - 40]))
    assert [r.record_id for r in rows] == [1]
    assert stats.skipped == 1 and "ends inside" in stats.problems[0]


def test_events_are_streamed_across_block_boundaries(tmp_path: Path) -> None:
    import pipeline.decode.xml as module

    text = event_viewer(*(event(n) for n in range(1, 301)), encoding="UTF-16")
    path = write(tmp_path, text, "utf-16")
    saved = module.BLOCK_CHARS
    module.BLOCK_CHARS = 333  # cut events, tags and UTF-16 code units at odd places
    try:
        rows, stats = read(path)
    finally:
        module.BLOCK_CHARS = saved
    assert [r.record_id for r in rows] == list(range(1, 301)) and stats.skipped == 0


# -- hardening -------------------------------------------------------------------------------


def test_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    doctype = f"<!DOCTYPE Event [<!ENTITY xxe SYSTEM '{secret.as_uri()}'>]>"
    data = "<EventData><Data>&xxe;</Data></EventData>"
    path = write(tmp_path, doctype + wevtutil(event(1, data), event(2)))
    rows, stats = read(path)
    assert rows == [] and "refused" in stats.problems[0]
    summary = run_ingest([path], tmp_path / "wh")
    assert [reason for _, reason in summary.rejected] == [
        "nothing readable: refused: the file declares a DTD or entities (<!DOCTYPE>/<!ENTITY>)"
    ]
    with duckdb.connect(str(tmp_path / "wh" / CATALOG), read_only=True) as con:
        text = str(con.execute("select * from events").fetchall())
        text += str(con.execute("select * from ingest_files").fetchall())
    assert "TOP-SECRET" not in text and "refused" in text


def test_entity_expansion_bomb_is_refused(tmp_path: Path) -> None:
    entities = ['<!ENTITY a "aaaaaaaaaa">'] + [
        f'<!ENTITY {b} "{("&" + a + ";") * 10}">'
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    doctype = "<!DOCTYPE Events [" + "".join(entities) + "]>"
    data = "<EventData><Data>&i;</Data></EventData>"
    path = write(tmp_path, '<?xml version="1.0"?>' + doctype + f"<Events>{event(1, data)}</Events>")
    rows, stats = read(path)
    assert rows == [] and "refused" in stats.problems[0]


def test_an_entity_inside_an_event_fails_that_event_only(tmp_path: Path) -> None:
    """A declaration smuggled between events is not honoured: the reference is an error."""
    smuggled = "<!DOCTYPE x [<!ENTITY big 'expanded'>]>"
    data = "<EventData><Data>&big;</Data></EventData>"
    rows, stats = read(write(tmp_path, wevtutil(event(1), smuggled, event(2, data), event(3))))
    assert [r.record_id for r in rows] == [1, 3]
    assert stats.skipped == 1 and "expanded" not in str(rows)


@pytest.fixture
def dtd_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request made to it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY remote "FROM-NETWORK">')

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/evil.dtd", hits
    finally:
        server.shutdown()


def test_no_network_for_an_external_dtd(tmp_path: Path, dtd_server: tuple[str, list[str]]) -> None:
    url, hits = dtd_server
    doctype = f'<!DOCTYPE Events SYSTEM "{url}">'
    data = "<EventData><Data>&remote;</Data></EventData>"
    path = write(tmp_path, '<?xml version="1.0"?>' + doctype + f"<Events>{event(1, data)}</Events>")
    rows, stats = read(path)
    assert rows == [] and "refused" in stats.problems[0]
    assert hits == []


def test_the_parser_itself_resolves_nothing(dtd_server: tuple[str, list[str]]) -> None:
    """Belt and braces under the refusal: the per-event parser loads no DTD, resolves no
    external entity and refuses an expansion bomb."""
    from lxml import etree

    from pipeline.decode.xml import _PARSER

    url, hits = dtd_server
    external = etree.fromstring(f'<!DOCTYPE r SYSTEM "{url}"><r>&remote;</r>'.encode(), _PARSER)
    assert "FROM-NETWORK" not in etree.tostring(external).decode() and hits == []
    bomb = '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {b} "{("&" + a + ";") * 10}">'
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring((bomb + "]><r>&i;</r>").encode(), _PARSER)


# -- one identity across formats --------------------------------------------------------------


def test_the_same_records_as_evtx_and_as_xml_export_are_one_row_each(tmp_path: Path) -> None:
    source = EVTX_SAMPLES / "pyevtx-security.evtx"
    rendered = [r["data"] for r in PyEvtxParser(str(source)).records()]
    export = tmp_path / "export" / "Security.xml"
    export.parent.mkdir()
    export.write_text("\r\n".join(rendered), encoding="utf-16")  # each with its declaration
    rows, stats = read(export)
    assert len(rows) == len(rendered) and stats.skipped == 0
    assert "\ufffd" in str(rows[54].event_data)  # record 55 holds a U+0003 in one value

    run_ingest([source, export.parent], tmp_path / "wh")
    with duckdb.connect(str(tmp_path / "wh" / CATALOG), read_only=True) as con:
        (events,) = con.execute("select count(*) from events").fetchone() or (0,)
        ledger = con.execute("select format, status, records from ingest_files").fetchall()
    assert events == len(rendered) == 2261
    assert sorted(ledger) == [("evtx", "ok", 2261), ("xml", "ok", 2261)]
