"""The one shape of `events.event_data`, whichever decoder saw the record.

Named values become an object (`{"TargetUserName": "bob"}`), unnamed classic
insertion strings become `{"strings": [...]}`, a non-empty `<Binary>` is kept under
`"Binary"` (hex text), attributes of `<EventData>` under `"#attributes"`, and `<UserData>`
is kept whole under `"UserData"`. Values keep the JSON type their decoder gives: pyevtx-rs
renders typed substitutions as numbers and booleans, XML exports hold text; SQL's `->>`
reads either as the same text.
"""

from __future__ import annotations

from typing import Any

import orjson

JsonObject = dict[str, Any]


def as_strings(value: Any) -> list[str | None]:
    """Unnamed `<Data>` text: one string or a list of them."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def encode(obj: JsonObject | None) -> str | None:
    """Serialise the normalised object; an absent or empty payload is NULL."""
    if not obj:
        return None
    return orjson.dumps(obj).decode()
