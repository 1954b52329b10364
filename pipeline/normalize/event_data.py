"""The one shape of `events.event_data`, whichever decoder saw the record.

Named values become an object of strings (`{"TargetUserName": "bob"}`), unnamed classic
insertion strings become `{"strings": [...]}`, a non-empty `<Binary>` is kept under
`"Binary"` (hex text), attributes of `<EventData>` under `"#attributes"`, and `<UserData>`
is kept whole under `"UserData"`. Scalars are text, as in the event's XML, so that the same
record read from `.evtx` and from an XML export yields the same JSON.
"""

from __future__ import annotations

from typing import Any

import orjson

JsonObject = dict[str, Any]


def scalar_text(value: Any) -> Any:
    """Render a decoded scalar as the text the event's XML would hold; leave containers."""
    if value is None or type(value) is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return {k: scalar_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scalar_text(v) for v in value]
    return str(value)


def as_strings(value: Any) -> list[str | None]:
    """Unnamed `<Data>` text: one string or a list of them."""
    if value is None:
        return []
    if isinstance(value, list):
        return [scalar_text(v) for v in value]
    return [scalar_text(value)]


def encode(obj: JsonObject | None) -> str | None:
    """Serialise the normalised object; an absent or empty payload is NULL."""
    if not obj:
        return None
    return orjson.dumps(obj).decode()
