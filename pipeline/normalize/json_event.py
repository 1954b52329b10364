"""pyevtx-rs `records_json()` output -> `EventRow`.

pyevtx-rs renders each record's Binary XML as JSON: attributes under `#attributes`, element
text under `#text`, repeated unnamed `<Data>` as a list. This module reads the `System`
fields the `events` table needs and normalises the payload (see `event_data`). It runs once
per record on the hot path, so it avoids helpers and repeated lookups.
"""

from __future__ import annotations

from typing import Any

import orjson

from pipeline.normalize.event_data import JsonObject, as_strings, encode
from pipeline.records import EventRow

_EMPTY: dict[str, Any] = {}


def _int(value: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    try:
        return int(value, 0) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        return None


def _first(value: int | None, default: int) -> int:
    return default if value is None else value


def _attrs(node: Any) -> dict[str, Any]:
    if type(node) is dict:
        attrs = node.get("#attributes")
        if type(attrs) is dict:
            return attrs
    return _EMPTY


def payload_from_json(event: dict[str, Any]) -> JsonObject | None:
    """The normalised `event_data` object of one rendered `Event`."""
    out: JsonObject = {}
    data = event.get("EventData")
    if type(data) is dict:
        for key, value in data.items():
            if key == "Data" and (type(value) is dict or type(value) is list or value is None):
                # unnamed classic strings: {"Data": {"#text": [...]}} or {"Data": null}
                text = value.get("#text") if type(value) is dict else value
                out["strings"] = as_strings(text)
            elif key == "Binary":
                if value:
                    out["Binary"] = value
            else:
                out[key] = value
    elif data is not None:
        out["strings"] = as_strings(data)
    user = event.get("UserData")
    if user is not None:
        out["UserData"] = user
    return out


def row_from_json(record_id: int, written: str, data: str) -> EventRow:
    """One pyevtx-rs JSON record as an `EventRow`.

    `record_id` and `written` come from the record header. The rendered `EventRecordID` wins
    over the header's number: in a forwarded log (ForwardedEvents) it is the source
    machine's record id, which is what makes the forwarded copy the same event as the
    source log's. `written` is used only when `TimeCreated` is missing. Values inside
    `event_data` keep the JSON type pyevtx-rs gives them (numbers, booleans), which `->>`
    in SQL reads as the same text an XML export holds.
    """
    event = orjson.loads(data).get("Event") or _EMPTY
    try:
        return _common_shape(record_id, event)
    except (KeyError, TypeError, AttributeError):
        return _any_shape(record_id, written, event)


def _common_shape(header_id: int, event: dict[str, Any]) -> EventRow:
    """The hot path: the shape nearly every record has. Anything unusual raises and is
    handled by `_any_shape`."""
    system = event["System"]
    eid = system["EventID"]
    qualifiers = None
    if type(eid) is not int:
        qualifiers = eid["#attributes"]["Qualifiers"]
        eid = eid["#text"]
        if type(eid) is not int or (qualifiers is not None and type(qualifiers) is not int):
            raise TypeError("unusual EventID")
    level = system["Level"]
    record_id = system.get("EventRecordID", header_id)
    if type(level) is not int or eid > 0xFFFF or type(record_id) is not int:
        raise TypeError("unusual Level or EventID")
    execution = system.get("Execution")
    if execution is None:
        process_id = thread_id = None
    else:
        attributes = execution["#attributes"]
        process_id = attributes["ProcessID"]
        thread_id = attributes["ThreadID"]
    security = system.get("Security")
    user_sid = None if security is None else security["#attributes"]["UserID"] or None
    data = event.get("EventData")
    if type(data) is dict and "Data" not in data and "Binary" not in data:
        event_data: str | None = orjson.dumps(data).decode() if data else None
    elif data is None and "UserData" not in event:
        event_data = None
    else:
        event_data = encode(payload_from_json(event))
    return EventRow(
        system["Computer"],
        system["Channel"],
        system["Provider"]["#attributes"]["Name"],
        eid,
        qualifiers,
        level,
        system["TimeCreated"]["#attributes"]["SystemTime"],
        record_id,
        process_id,
        thread_id,
        user_sid,
        event_data,
    )


def _any_shape(header_id: int, written: str, event: dict[str, Any]) -> EventRow:
    """Every field read defensively: missing elements, text where numbers belong."""
    system = event.get("System") or _EMPTY
    eid = system.get("EventID")
    qualifiers = None
    if type(eid) is dict:
        qualifiers = _int(eid.get("#attributes", _EMPTY).get("Qualifiers"))
        eid = eid.get("#text")
    eid = _int(eid)
    if eid is not None and eid > 0xFFFF and qualifiers is None:
        qualifiers = eid >> 16
    execution = _attrs(system.get("Execution"))
    time_created = _attrs(system.get("TimeCreated")).get("SystemTime")
    if not time_created:
        time_created = written.removesuffix(" UTC")
    return EventRow(
        host=system.get("Computer"),
        channel=system.get("Channel"),
        provider=_attrs(system.get("Provider")).get("Name"),
        event_id=None if eid is None else eid & 0xFFFF,
        qualifiers=qualifiers,
        level=_int(system.get("Level")),
        time_created=time_created,
        record_id=_first(_int(system.get("EventRecordID")), header_id),
        process_id=_int(execution.get("ProcessID")),
        thread_id=_int(execution.get("ThreadID")),
        user_sid=_attrs(system.get("Security")).get("UserID") or None,
        event_data=encode(payload_from_json(event)),
    )
