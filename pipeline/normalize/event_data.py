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


def put_numbered(out: JsonObject, key: str, value: Any) -> None:
    """Add `key` to `out`; a name already there is numbered `_1`, `_2`... as pyevtx-rs
    numbers repeated elements, so that a template naming two values alike (Security 4648's
    two `LogonGuid`) keeps both."""
    if key not in out:
        out[key] = value
        return
    n = 1
    while f"{key}_{n}" in out:
        n += 1
    out[f"{key}_{n}"] = value


def encode(obj: JsonObject | None) -> str | None:
    """Serialise the normalised object; an absent or empty payload is NULL."""
    if not obj:
        return None
    return orjson.dumps(obj).decode()
