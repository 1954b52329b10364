"""The format-neutral event the fleet generator produces and every writer consumes.

An `EventKind` is static data (provider, id, channel, level, the shape of EventData, the
message text); a `Record` is one occurrence of it on one computer. Times are FILETIME
integers (100 ns since 1601, UTC) throughout, the unit EVTX stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from pipeline.synth.binxml import FILETIME_UNIX_EPOCH, VT

# Keywords: "Classic" (0x0080000000000000) marks events logged through ReportEvent.
KEYWORDS_CLASSIC: Final = 0x0080_0000_0000_0000
KEYWORDS_NONE: Final = 0x8000_0000_0000_0000  # manifest events logged without keywords

# Levels (EVTX) and EVENTLOG types (EVT).
LEVEL_ERROR: Final = 2
LEVEL_WARNING: Final = 3
LEVEL_INFO: Final = 4
EVT_ERROR: Final = 0x0001
EVT_WARNING: Final = 0x0002
EVT_INFO: Final = 0x0004

# Qualifiers of classic events: the top 16 bits of the 32-bit message identifier, whose
# top two bits are the severity (0 success, 1 informational, 2 warning, 3 error).
Q_SUCCESS: Final = 0x0000
Q_INFO: Final = 0x4000
Q_WARNING: Final = 0x8000
Q_ERROR: Final = 0xC000

SYSTEM_SID: Final = "S-1-5-18"
UNIX_EPOCH: Final = datetime(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Field:
    """One EventData value: its `<Data Name=...>` (None for classic, unnamed) and type."""

    name: str | None
    vtype: int = VT.STRING


@dataclass(frozen=True, slots=True)
class EventKind:
    """What is constant about an event: provider, identity, channel, level, data shape."""

    provider: str
    event_id: int
    channel: str
    level: int
    fields: tuple[Field, ...] = ()
    provider_guid: str | None = None  # manifest providers
    event_source: str | None = None  # EventSourceName attribute (legacy source name)
    qualifiers: int | None = None  # classic events: top 16 bits of the message id
    version: int = 0
    task: int = 0
    opcode: int = 0
    keywords: int = KEYWORDS_CLASSIC
    binary: bool = False  # classic raw data, as <Binary> in EVTX/XML and data in EVT
    eventdata_name: str | None = None  # <EventData Name="...">
    message: str = ""  # the rendered text with %1, %2 ... placeholders
    evt_type: int | None = None  # EVENTLOG type when written to .evt (default from level)

    @property
    def classic(self) -> bool:
        return self.qualifiers is not None

    @property
    def event_identifier(self) -> int:
        """The 32-bit identifier an .evt record stores."""
        return ((self.qualifiers or 0) << 16) | self.event_id

    @property
    def eventlog_type(self) -> int:
        if self.evt_type is not None:
            return self.evt_type
        return {LEVEL_ERROR: EVT_ERROR, LEVEL_WARNING: EVT_WARNING}.get(self.level, EVT_INFO)


@dataclass(slots=True)
class Record:
    """One event on one computer. `record_id` is set when its log is sequenced."""

    kind: EventKind
    computer: str
    time: int  # FILETIME
    values: tuple[Any, ...]  # one per kind.fields, then the raw data if kind.binary
    pid: int = 0
    tid: int = 0
    user_sid: str | None = None
    activity_id: str | None = None
    record_id: int = 0

    @property
    def channel(self) -> str:
        return self.kind.channel

    @property
    def data_values(self) -> tuple[Any, ...]:
        return self.values[: len(self.kind.fields)]

    @property
    def raw_data(self) -> bytes | None:
        if not self.kind.binary:
            return None
        raw = self.values[len(self.kind.fields)]
        return raw if isinstance(raw, bytes) else None


def filetime_to_unix_us(filetime: int) -> int:
    return (filetime - FILETIME_UNIX_EPOCH) // 10


def unix_us_to_filetime(us: int) -> int:
    return us * 10 + FILETIME_UNIX_EPOCH


def iso_time(filetime: int, digits: int = 7) -> str:
    """'YYYY-MM-DDTHH:MM:SS.fffffffZ' (digits 0 drops the fraction)."""
    ticks = filetime - FILETIME_UNIX_EPOCH
    seconds, frac = divmod(ticks, 10_000_000)
    t = UNIX_EPOCH + timedelta(seconds=seconds)
    base = t.strftime("%Y-%m-%dT%H:%M:%S")
    if digits == 0:
        return base + "Z"
    return f"{base}.{frac:07d}"[: len(base) + 1 + digits] + "Z"
