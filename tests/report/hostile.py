"""An XML event export whose computer, user, process and key names are hostile markup."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = (SCRIPT, IMG, "]]>", "</svg>", "\"'quoted'\"", "</style>")

HOST = f"WS-{SCRIPT}\"'"
USER = f"CONTOSO\\{IMG}"
SID = "S-1-5-21-1004336348-1177238915-682003330-9001"
PROCESS_IMAGE = f"\\Device\\HarddiskVolume2\\Tools\\{IMG}evil.exe"
KEY_TAIL = "Software\\a|b]]></svg><style>*{display:none}</style>\"quoted'"

_EVENT = """<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
<Provider Name={provider}/><EventID>{event_id}</EventID><Version>0</Version><Level>3</Level>\
<Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords>\
<TimeCreated SystemTime='{time}'/><EventRecordID>{record_id}</EventRecordID><Correlation/>\
<Execution ProcessID='0' ThreadID='0'/><Channel>Application</Channel>\
<Computer>{computer}</Computer><Security UserID='S-1-5-18'/></System>\
<EventData>{data}</EventData></Event>"""


def _event(provider: str, event_id: int, time: str, record_id: int, data: str) -> str:
    return _EVENT.format(
        provider=quoteattr(provider),
        event_id=event_id,
        time=time,
        record_id=record_id,
        computer=escape(HOST),
        data=data,
    )


def write_hostile_export(path: Path) -> Path:
    """Two failed logoffs on the hostile host: a 1530 naming the hostile process and key,
    and an XP-style 1517 naming the hostile account."""
    detail = (
        f"1 user registry handles leaked from \\Registry\\User\\{SID}:\r\n"
        f"Process 4242 ({PROCESS_IMAGE}) has opened key \\REGISTRY\\USER\\{SID}\\{KEY_TAIL}\r\n"
    )
    events = [
        _event(
            "Microsoft-Windows-User Profiles Service",
            1530,
            "2024-03-05T10:00:00.0000000Z",
            7001,
            f"<Data Name='Detail'>{escape(detail)}</Data>",
        ),
        _event(
            "Userenv", 1517, "2024-03-05T11:00:00.0000000Z", 7002, f"<Data>{escape(USER)}</Data>"
        ),
    ]
    path.write_text("\n".join(events) + "\n", encoding="utf-8")
    return path
