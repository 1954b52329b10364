"""The `<Event>` template Windows builds for an event shape, and its substitution values.

The System part follows what Windows 7 and later write (see a python-evtx template dump):
Provider, Channel and Computer are literal text in the template; everything that varies
per record is a substitution, in this index order:

    0 Level  1 Opcode  2 Task  3 EventID  4 Qualifiers  5 Keywords  6 TimeCreated
    7 ActivityID  8 ProcessID  9 ThreadID  10 EventRecordID  11 Version  12 UserID
    13 (unused)  14 RelatedActivityID  15-17 (unused)  18... EventData values

Because Computer is literal, a forwarded-events log carries one template per computer
and event shape, as real ForwardedEvents files do.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

from pipeline.synth.binxml import VT, Attr, Elem, Sub, Template
from pipeline.synth.model import EventKind, Record

EVENT_NAMESPACE: Final = "http://schemas.microsoft.com/win/2004/08/events/event"
FIRST_DATA_INDEX: Final = 18

_SYSTEM_VTYPES: Final = (
    VT.UINT8,  # 0 Level
    VT.UINT8,  # 1 Opcode
    VT.UINT16,  # 2 Task
    VT.UINT16,  # 3 EventID
    VT.UINT16,  # 4 Qualifiers
    VT.HEX64,  # 5 Keywords
    VT.FILETIME,  # 6 TimeCreated
    VT.GUID,  # 7 ActivityID
    VT.UINT32,  # 8 ProcessID
    VT.UINT32,  # 9 ThreadID
    VT.UINT64,  # 10 EventRecordID
    VT.UINT8,  # 11 Version
    VT.SID,  # 12 UserID
    VT.NULL,  # 13
    VT.GUID,  # 14 RelatedActivityID
    VT.NULL,  # 15
    VT.NULL,  # 16
    VT.NULL,  # 17
)


def _system(kind: EventKind, computer: str) -> Elem:
    provider_attrs = [Attr("Name", kind.provider)]
    if kind.provider_guid:
        provider_attrs.append(Attr("Guid", kind.provider_guid))
    if kind.event_source:
        provider_attrs.append(Attr("EventSourceName", kind.event_source))
    return Elem(
        "System",
        children=(
            Elem("Provider", tuple(provider_attrs)),
            Elem(
                "EventID",
                (Attr("Qualifiers", Sub(4, VT.UINT16)),),
                (Sub(3, VT.UINT16),),
            ),
            Elem("Version", children=(Sub(11, VT.UINT8),)),
            Elem("Level", children=(Sub(0, VT.UINT8),)),
            Elem("Task", children=(Sub(2, VT.UINT16),)),
            Elem("Opcode", children=(Sub(1, VT.UINT8),)),
            Elem("Keywords", children=(Sub(5, VT.HEX64),)),
            Elem("TimeCreated", (Attr("SystemTime", Sub(6, VT.FILETIME, optional=False)),)),
            Elem("EventRecordID", children=(Sub(10, VT.UINT64, optional=False),)),
            Elem(
                "Correlation",
                (
                    Attr("ActivityID", Sub(7, VT.GUID)),
                    Attr("RelatedActivityID", Sub(14, VT.GUID)),
                ),
            ),
            Elem(
                "Execution",
                (Attr("ProcessID", Sub(8, VT.UINT32)), Attr("ThreadID", Sub(9, VT.UINT32))),
            ),
            Elem("Channel", children=(kind.channel,)),
            Elem("Computer", children=(computer,)),
            Elem("Security", (Attr("UserID", Sub(12, VT.SID)),)),
        ),
    )


def _event_data(kind: EventKind) -> Elem | None:
    children: list[Elem] = []
    for i, f in enumerate(kind.fields):
        attrs = (Attr("Name", f.name),) if f.name is not None else ()
        children.append(Elem("Data", attrs, (Sub(FIRST_DATA_INDEX + i, f.vtype),)))
    if kind.binary:
        index = FIRST_DATA_INDEX + len(kind.fields)
        children.append(Elem("Binary", children=(Sub(index, VT.BINARY),)))
    if not children:
        return None
    attrs = (Attr("Name", kind.eventdata_name),) if kind.eventdata_name else ()
    return Elem("EventData", attrs, tuple(children))


@lru_cache(maxsize=8192)
def event_template(kind: EventKind, computer: str) -> Template:
    """The template for `kind` as logged on `computer` (cached: built once per shape)."""
    children: list[Elem] = [_system(kind, computer)]
    data = _event_data(kind)
    if data is not None:
        children.append(data)
    root = Elem("Event", (Attr("xmlns", EVENT_NAMESPACE),), tuple(children))
    vtypes: list[int] = list(_SYSTEM_VTYPES)
    vtypes += [f.vtype for f in kind.fields]
    if kind.binary:
        vtypes.append(VT.BINARY)
    return Template(root, tuple(vtypes))


def substitution_values(record: Record) -> list[Any]:
    """The values of `record` in the order of its template's substitution slots."""
    kind = record.kind
    return [
        kind.level,
        kind.opcode,
        kind.task,
        kind.event_id,
        kind.qualifiers,
        kind.keywords,
        record.time,
        record.activity_id,
        record.pid,
        record.tid,
        record.record_id,
        kind.version,
        record.user_sid,
        None,
        None,
        None,
        None,
        None,
        *record.values,
    ]
