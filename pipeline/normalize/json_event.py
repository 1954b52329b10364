"""pyevtx-rs `records_json()` output -> `EventRow`.

pyevtx-rs renders each record's Binary XML as JSON: attributes under `#attributes`, element
text under `#text`, repeated unnamed `<Data>` as a list. This module reads the `System`
fields the `events` table needs and normalises the payload (see `event_data`). It runs once
per record on the hot path, so it avoids helpers and repeated lookups.
"""

from __future__ import annotations

from typing import Any

import orjson

from pipeline.normalize.event_data import JsonObject, as_strings, encode, scalar_text
from pipeline.records import EventRow

_EMPTY: dict[str, Any] = {}


def _int(value: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    try:
        return int(value, 0) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        return None


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
                    out["Binary"] = scalar_text(value)
            else:
                out[key] = scalar_text(value)
    elif data is not None:
        out["strings"] = as_strings(data)
    user = event.get("UserData")
    if user is not None:
        out["UserData"] = scalar_text(user)
    return out


def row_from_json(record_id: int, written: str, data: str) -> EventRow:
    """One pyevtx-rs JSON record as an `EventRow`.

    `record_id` and `written` come from the record header (the rendered `EventRecordID` is
    the same number); `written` is used only when `TimeCreated` is missing.
    """
    event = orjson.loads(data).get("Event") or _EMPTY
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
        record_id=record_id,
        process_id=_int(execution.get("ProcessID")),
        thread_id=_int(execution.get("ThreadID")),
        user_sid=_attrs(system.get("Security")).get("UserID") or None,
        event_data=encode(payload_from_json(event)),
    )
