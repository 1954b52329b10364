"""pyevtx-rs `records_json()` output -> `EventRow`.

pyevtx-rs renders each record's Binary XML as JSON: attributes under `#attributes`, element
text under `#text`, repeated unnamed `<Data>` as a list. This module reads the `System`
fields the `events` table needs and normalises the payload (see `event_data`). It runs once
per record on the hot path, so it avoids helpers and repeated lookups.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from pipeline.normalize.event_data import JsonObject, as_strings, encode, put_numbered
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


def _event_data(event: dict[str, Any], text: str) -> str | None:
    """The `event_data` of one rendered `Event`, whose JSON is `text`.

    Named values (with a non-empty Binary or none) are the common case: the object as orjson
    writes it back. pyevtx-rs writes a name twice where a template names two values alike
    (Security 4648's two `LogonGuid`), and parsing kept only the last; such a text is longer
    than what orjson writes back, so the lengths are compared where `EventData` stands: at
    the end (`..."EventData":{...}}}`) or, in a forwarded event, before its RenderingInfo.
    Only a record whose lengths differ is parsed again, with every name kept (`_numbered`).
    Lengths, not texts: the check adds 0.08 us a record, comparing the texts 0.3; orjson
    writes the object back in the very bytes pyevtx-rs wrote in every other record of the
    samples and fixture fleets."""
    data = event.get("EventData")
    if type(data) is dict and data and "Data" not in data:
        dumped = orjson.dumps(data).decode()
        if (
            not text.startswith('"EventData":', len(text) - len(dumped) - 14)
            and f'"EventData":{dumped}' not in text
        ):
            data = _numbered(text, data)
            event = {**event, "EventData": data}
            dumped = orjson.dumps(data).decode()
        if data.get("Binary", True) and "UserData" not in event:
            return dumped  # what payload_from_json would make of it, written
    elif data is None and "UserData" not in event:
        return None
    return encode(payload_from_json(event))


def _numbered(text: str, data: JsonObject) -> JsonObject:
    """`EventData` parsed again from `text`, a repeated name numbered (`LogonGuid_1`) as
    the XML path numbers it."""
    event = json.loads(text, object_pairs_hook=_numbered_object).get("Event")
    again = event.get("EventData") if type(event) is dict else None
    return again if type(again) is dict else data


def _numbered_object(pairs: list[tuple[str, Any]]) -> JsonObject:
    out: JsonObject = {}
    for key, value in pairs:
        put_numbered(out, key, value)
    return out


def row_from_json(record_id: int, written: str, text: str) -> EventRow:
    """One pyevtx-rs JSON record as an `EventRow`.

    `record_id` and `written` come from the record header. The rendered `EventRecordID` wins
    over the header's number: in a forwarded log (ForwardedEvents) it is the source
    machine's record id, which is what makes the forwarded copy the same event as the
    source log's. `written` is used only when `TimeCreated` is missing. Values inside
    `event_data` keep the JSON type pyevtx-rs gives them (numbers, booleans), which `->>`
    in SQL reads as the same text an XML export holds.
    """
    event = orjson.loads(text).get("Event") or _EMPTY
    try:
        return _common_shape(record_id, event, text)
    except (KeyError, TypeError, AttributeError):
        return _any_shape(record_id, written, event, text)


def _common_shape(header_id: int, event: dict[str, Any], text: str) -> EventRow:
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
    event_data = _event_data(event, text)
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


def _any_shape(header_id: int, written: str, event: dict[str, Any], text: str) -> EventRow:
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
        event_data=_event_data(event, text),
    )
