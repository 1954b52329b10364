"""An `<Event>` element (from an XML export or rendered by python-evtx) -> `EventRow`.

The payload follows the same rules as the pyevtx-rs JSON path (`event_data`), so the same
record yields the same row whichever way it arrived. python-evtx renders a string-array
substitution as `<string>..</string>` lines inside one `<Data>`; those become one string each.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from pipeline.normalize.event_data import JsonObject, encode, put_numbered
from pipeline.records import EventRow

_STRING_ITEM = re.compile(r"<string>(.*?)</string>", re.DOTALL)
_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|z|[+-]\d{2}:?\d{2})?$"
)


def local(tag: Any) -> str:
    """The tag without its namespace; comments and PIs have no string tag."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    try:
        return int(text, 0)
    except ValueError:
        try:
            return int(text)
        except ValueError:
            return None


def iso_utc(text: str | None) -> str | None:
    """SystemTime as `YYYY-MM-DDTHH:MM:SS[.f]Z` in UTC, from Windows' or python-evtx's
    spelling, or from any xs:dateTime (an offset such as `+01:00` is applied; no zone means
    UTC). Text that is no such time is returned as it is: the frame then holds NULL and the
    step says so."""
    if not text:
        return None
    match = _DATETIME.match(text.strip())
    if match is None:
        return text
    day, clock, fraction, zone = match.groups()
    if zone is None or zone in ("Z", "z") or zone[1:] in ("00:00", "0000"):
        return f"{day}T{clock}{fraction or ''}Z"
    try:
        local_time = datetime.fromisoformat(f"{day}T{clock}")
    except ValueError:
        return text
    sign = 1 if zone[0] == "+" else -1
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[-2:]))
    utc = local_time - sign * offset
    return f"{utc:%Y-%m-%dT%H:%M:%S}{fraction or ''}Z"


def element_value(el: etree._Element) -> Any:
    """Element content as rendered JSON would have it: text, or attributes and children.

    A namespace the element declares is one of its attributes, as pyevtx-rs has it
    (`<EventXML xmlns="Event_NS">` under `UserData`)."""
    children = [c for c in el if isinstance(c.tag, str)]
    attributes = {**_declared(el), **{local(k): v for k, v in el.attrib.items()}}
    if not children and not attributes:
        return el.text
    out: dict[str, Any] = {}
    if attributes:
        out["#attributes"] = attributes
    for child in children:
        put_numbered(out, local(child.tag), element_value(child))
    if el.text is not None and (not children or el.text.strip()):
        out["#text"] = el.text
    return out


def _declared(el: etree._Element) -> dict[str, str]:
    """The namespaces `el` declares (those its parent does not have), as `xmlns` and
    `xmlns:prefix` attributes."""
    parent = el.getparent()
    inherited = {} if parent is None else parent.nsmap
    return {
        "xmlns" if prefix is None else f"xmlns:{prefix}": uri
        for prefix, uri in el.nsmap.items()
        if inherited.get(prefix) != uri
    }


def _data_strings(text: str | None) -> list[str | None]:
    if text is not None and text.startswith("<string>"):
        return [m.replace("&lt;", "<").replace("&gt;", ">") for m in _STRING_ITEM.findall(text)]
    return ["" if text is None else text]


def payload_from_element(event: etree._Element) -> JsonObject:
    """The normalised `event_data` object of one `<Event>` element."""
    out: JsonObject = {}
    for section in event:
        name = local(section.tag)
        if name == "EventData":
            if section.attrib:
                out["#attributes"] = {local(k): v for k, v in section.attrib.items()}
            strings: list[str | None] = []
            for item in section:
                tag = local(item.tag)
                if tag == "Data":
                    field = item.get("Name")
                    if field is None:
                        out.setdefault("strings", strings)  # where the first one stands
                        strings.extend(_data_strings(item.text))
                    else:  # an empty value is "", as pyevtx-rs renders it, not null
                        put_numbered(out, field, "" if item.text is None else item.text)
                elif tag == "Binary":
                    if item.text and item.text.strip():
                        out["Binary"] = item.text.strip()
                elif tag:
                    put_numbered(out, tag, element_value(item))
        elif name == "UserData":
            content: dict[str, Any] = {}
            for child in section:
                if local(child.tag):
                    put_numbered(content, local(child.tag), element_value(child))
            out["UserData"] = content
    return out


def row_from_element(event: etree._Element, header_id: int | None = None) -> EventRow:
    """One `<Event>` element as an `EventRow`.

    `EventRecordID` is the record id; `header_id` (the EVTX record header's number) stands
    in when the element has none.
    """
    system: dict[str, etree._Element] = {}
    for section in event:
        if local(section.tag) == "System":
            for field in section:
                system.setdefault(local(field.tag), field)
            break
    eid_el = system.get("EventID")
    eid = _int(eid_el.text) if eid_el is not None else None
    qualifiers = _int(eid_el.get("Qualifiers")) if eid_el is not None else None
    if eid is not None and eid > 0xFFFF and qualifiers is None:
        qualifiers = eid >> 16

    def text(name: str) -> str | None:
        el = system.get(name)
        return el.text if el is not None else None

    def attr(name: str, key: str) -> str | None:
        el = system.get(name)
        return el.get(key) if el is not None else None

    return EventRow(
        host=text("Computer"),
        channel=text("Channel"),
        provider=attr("Provider", "Name"),
        event_id=None if eid is None else eid & 0xFFFF,
        qualifiers=qualifiers,
        level=_int(text("Level")),
        time_created=iso_utc(attr("TimeCreated", "SystemTime")),
        record_id=header_id if (rendered := _int(text("EventRecordID"))) is None else rendered,
        process_id=_int(attr("Execution", "ProcessID")),
        thread_id=_int(attr("Execution", "ThreadID")),
        user_sid=attr("Security", "UserID") or None,
        event_data=encode(payload_from_element(event)),
    )
