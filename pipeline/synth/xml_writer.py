"""Write XML exports of event logs, in the two shapes administrators produce.

- `wevtutil`: what `wevtutil qe LOG /f:xml` prints (also PowerShell's `ToXml()`): one
  `<Event xmlns=...>` per line, single-quoted attributes, no XML declaration and no root.
- `eventviewer`: Event Viewer's "Save Selected Events..." as XML: an XML declaration,
  an `<Events>` root, and a `<RenderingInfo>` with the rendered message per event.

Times are written as Windows does, with 7 fractional digits; line breaks inside values
become `&#13;&#10;`, as in real exports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from pipeline.synth.binxml import VT
from pipeline.synth.evtx_templates import EVENT_NAMESPACE
from pipeline.synth.model import LEVEL_ERROR, LEVEL_INFO, LEVEL_WARNING, Record, iso_time

Shape = Literal["wevtutil", "eventviewer"]
SHAPES: Final[tuple[Shape, ...]] = ("wevtutil", "eventviewer")

_TEXT_ESCAPES: Final = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", "\n": "&#10;"}
)
_ATTR_ESCAPES: Final = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\r": "&#13;",
        "\n": "&#10;",
        "'": "&apos;",
        '"': "&quot;",
    }
)
_LEVEL_NAMES: Final = {LEVEL_ERROR: "Error", LEVEL_WARNING: "Warning", LEVEL_INFO: "Information"}


def _text(value: str) -> str:
    return value.translate(_TEXT_ESCAPES)


def render_value(vtype: int, value: Any) -> str:
    """A substitution value as Windows renders it in XML."""
    if vtype in (VT.HEX32, VT.HEX64):
        return f"0x{value:x}"
    if vtype in (VT.FILETIME, VT.SYSTEMTIME):
        return iso_time(value)
    if vtype == VT.BINARY:
        return bytes(value).hex().upper()
    if vtype == VT.GUID:
        return str(value).upper()
    return str(value)


def render_message(record: Record) -> str:
    """The kind's message with %1, %2 ... replaced by the record's insertion strings."""
    text = record.kind.message
    values = record.data_values
    for i in range(len(values), 0, -1):  # %10 before %1
        v = values[i - 1]
        text = text.replace(
            f"%{i}", "" if v is None else render_value(record.kind.fields[i - 1].vtype, v)
        )
    return text


def render_event(record: Record, shape: Shape = "wevtutil") -> str:
    """One `<Event>` element for `record`."""
    q = "'" if shape == "wevtutil" else '"'
    kind = record.kind

    def attr(name: str, value: str) -> str:
        return f" {name}={q}{value.translate(_ATTR_ESCAPES)}{q}"

    provider = attr("Name", kind.provider)
    if kind.provider_guid:
        provider += attr("Guid", kind.provider_guid)
    if kind.event_source:
        provider += attr("EventSourceName", kind.event_source)
    qualifiers = attr("Qualifiers", str(kind.qualifiers)) if kind.qualifiers is not None else ""
    correlation = attr("ActivityID", record.activity_id.upper()) if record.activity_id else ""
    security = attr("UserID", record.user_sid) if record.user_sid else ""
    parts = [
        f"<Event xmlns={q}{EVENT_NAMESPACE}{q}><System>",
        f"<Provider{provider}/>",
        f"<EventID{qualifiers}>{kind.event_id}</EventID>",
        f"<Version>{kind.version}</Version><Level>{kind.level}</Level>",
        f"<Task>{kind.task}</Task><Opcode>{kind.opcode}</Opcode>",
        f"<Keywords>0x{kind.keywords:x}</Keywords>",
        f"<TimeCreated{attr('SystemTime', iso_time(record.time))}/>",
        f"<EventRecordID>{record.record_id}</EventRecordID>",
        f"<Correlation{correlation}/>",
        f"<Execution{attr('ProcessID', str(record.pid))}{attr('ThreadID', str(record.tid))}/>",
        f"<Channel>{_text(kind.channel)}</Channel>",
        f"<Computer>{_text(record.computer)}</Computer>",
        f"<Security{security}/></System>",
    ]
    data: list[str] = []
    for f, v in zip(kind.fields, record.data_values, strict=True):
        name = attr("Name", f.name) if f.name is not None else ""
        if v is None:
            data.append(f"<Data{name}/>")
        else:
            data.append(f"<Data{name}>{_text(render_value(f.vtype, v))}</Data>")
    raw = record.raw_data
    if kind.binary and raw is not None:
        data.append(f"<Binary>{raw.hex().upper()}</Binary>")
    if data:
        name = attr("Name", kind.eventdata_name) if kind.eventdata_name else ""
        parts.append(f"<EventData{name}>{''.join(data)}</EventData>")
    if shape == "eventviewer":
        keyword = (
            "<Keywords><Keyword>Classic</Keyword></Keywords>" if kind.classic else "<Keywords/>"
        )
        parts.append(
            f'<RenderingInfo Culture="en-US"><Message>{_text(render_message(record))}</Message>'
            f"<Level>{_LEVEL_NAMES.get(kind.level, 'Information')}</Level><Task/><Opcode>Info"
            f"</Opcode><Channel>{_text(kind.channel)}</Channel><Provider>{_text(kind.provider)}"
            f"</Provider>{keyword}</RenderingInfo>"
        )
    parts.append("</Event>")
    return "".join(parts)


def xml_document(records: Iterable[Record], shape: Shape) -> str:
    events = (render_event(r, shape) for r in records)
    if shape == "wevtutil":
        return "".join(e + "\r\n" for e in events)
    head = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<Events>\r\n'
    return head + "".join(e + "\r\n" for e in events) + "</Events>\r\n"


def write_xml(path: Path, records: Sequence[Record], shape: Shape) -> int:
    """Write `records` as an export of shape `shape`; returns the number written."""
    path.write_bytes(xml_document(records, shape).encode("utf-8"))
    return len(records)
