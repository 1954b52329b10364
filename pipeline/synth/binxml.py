"""Binary XML for EVTX records: template trees, per-chunk names, substitution arrays.

Layout from [MS-EVEN6] 2.2.12 and libyal's EVTX document. A template is a small tree
(`Elem`, `Attr`, `Sub`, text) built once per event shape; `ChunkScope` serialises it into
one chunk, defining each name and template the first time the chunk needs it and
referring to it by offset afterwards, which is what Windows does.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from functools import lru_cache
from typing import Any, Final

from pipeline.synth.evtx_layout import (
    ATTRIBUTE_START,
    ELEMENT_START,
    FRAGMENT_HEADER,
    NAME_HEADER,
    STRING_BUCKETS,
    SUBSTITUTION,
    TEMPLATE_BUCKETS,
    TEMPLATE_DEFINITION,
    TEMPLATE_INSTANCE,
    U32,
    VALUE_TEXT,
)

# Tokens ([MS-EVEN6] 2.2.12: the 0x40 bit means "more data follows": attributes on an
# element start, another attribute after this one).
TOKEN_EOF: Final = 0x00
TOKEN_OPEN_START: Final = 0x01
TOKEN_CLOSE_START: Final = 0x02
TOKEN_CLOSE_EMPTY: Final = 0x03
TOKEN_END_ELEMENT: Final = 0x04
TOKEN_VALUE: Final = 0x05
TOKEN_ATTRIBUTE: Final = 0x06
TOKEN_TEMPLATE_INSTANCE: Final = 0x0C
TOKEN_NORMAL_SUBSTITUTION: Final = 0x0D
TOKEN_OPTIONAL_SUBSTITUTION: Final = 0x0E
TOKEN_FRAGMENT_HEADER: Final = 0x0F
MORE_FLAG: Final = 0x40
NO_DEPENDENCY: Final = 0xFFFF

FRAGMENT: Final = FRAGMENT_HEADER.pack(TOKEN_FRAGMENT_HEADER, 1, 1, 0)


class VT(IntEnum):
    """Substitution value types ([MS-EVEN6] 2.2.12 "Value types")."""

    NULL = 0x00
    STRING = 0x01
    INT8 = 0x03
    UINT8 = 0x04
    INT16 = 0x05
    UINT16 = 0x06
    INT32 = 0x07
    UINT32 = 0x08
    INT64 = 0x09
    UINT64 = 0x0A
    BOOL = 0x0D
    BINARY = 0x0E
    GUID = 0x0F
    FILETIME = 0x11
    SYSTEMTIME = 0x12
    SID = 0x13
    HEX32 = 0x14
    HEX64 = 0x15


# ---------------------------------------------------------------------------- values

FILETIME_UNIX_EPOCH: Final = 116_444_736_000_000_000  # 1970-01-01 as FILETIME


@lru_cache(maxsize=4096)
def sid_bytes(sid: str) -> bytes:
    """'S-1-5-21-a-b-c-r' -> revision, count, 48-bit big-endian authority, u32 LE subauthorities."""
    parts = sid.split("-")
    if len(parts) < 3 or parts[0] != "S":
        raise ValueError(f"not a SID: {sid!r}")
    subs = [int(p) for p in parts[3:]]
    return (
        struct.pack("<BB", int(parts[1]), len(subs))
        + int(parts[2]).to_bytes(6, "big")
        + struct.pack(f"<{len(subs)}I", *subs)
    )


@lru_cache(maxsize=4096)
def guid_bytes(guid: str) -> bytes:
    """'{xxxxxxxx-...}' -> the mixed-endian 16 bytes Windows stores."""
    return uuid.UUID(guid.strip("{}")).bytes_le


_SYSTEMTIME = struct.Struct("<8H")


def systemtime_bytes(filetime: int) -> bytes:
    """FILETIME -> SYSTEMTIME (year, month, weekday, day, hour, minute, second, ms)."""
    us = (filetime - FILETIME_UNIX_EPOCH) // 10
    t = datetime(1970, 1, 1) + timedelta(microseconds=us)
    weekday = (t.weekday() + 1) % 7  # SYSTEMTIME: 0 = Sunday
    return _SYSTEMTIME.pack(
        t.year, t.month, weekday, t.day, t.hour, t.minute, t.second, t.microsecond // 1000
    )


def _fixed(fmt: str) -> Callable[[Any], bytes]:
    return struct.Struct(fmt).pack


PACKERS: Final[dict[int, Callable[[Any], bytes]]] = {
    VT.STRING: lambda v: v.encode("utf-16-le"),
    VT.INT8: _fixed("<b"),
    VT.UINT8: _fixed("<B"),
    VT.INT16: _fixed("<h"),
    VT.UINT16: _fixed("<H"),
    VT.INT32: _fixed("<i"),
    VT.UINT32: _fixed("<I"),
    VT.INT64: _fixed("<q"),
    VT.UINT64: _fixed("<Q"),
    VT.BOOL: lambda v: struct.pack("<i", 1 if v else 0),
    VT.BINARY: bytes,
    VT.GUID: guid_bytes,
    VT.FILETIME: _fixed("<Q"),
    VT.SYSTEMTIME: systemtime_bytes,
    VT.SID: sid_bytes,
    VT.HEX32: _fixed("<I"),
    VT.HEX64: _fixed("<Q"),
}


def substitution_array(vtypes: Sequence[int], values: Sequence[Any]) -> bytes:
    """Value count, then (size u16, type u8, 0) descriptors, then the packed values.

    A value of None is written as a NULL-typed, zero-size entry (an absent optional value).
    """
    blobs: list[bytes] = []
    descriptors: list[int] = []
    for vtype, value in zip(vtypes, values, strict=True):
        if value is None:
            descriptors.append(0)
            continue
        blob = PACKERS[vtype](value)
        blobs.append(blob)
        descriptors.append(len(blob) | (vtype << 16))
    n = len(descriptors)
    return struct.pack(f"<I{n}I", n, *descriptors) + b"".join(blobs)


# ---------------------------------------------------------------------------- template trees


@dataclass(frozen=True, slots=True)
class Sub:
    """A substitution: value `index` of the record's array, of type `vtype`."""

    index: int
    vtype: int
    optional: bool = True


@dataclass(frozen=True, slots=True)
class Attr:
    name: str
    value: str | Sub


@dataclass(frozen=True, slots=True)
class Elem:
    name: str
    attrs: tuple[Attr, ...] = ()
    children: tuple[Elem | Sub | str, ...] = ()


@dataclass(frozen=True)
class Template:
    """A template: its tree, the value types of its substitution slots, and its GUID.

    The GUID is derived from the tree, so equal shapes share a template and the same
    seed gives the same bytes.
    """

    root: Elem
    vtypes: tuple[int, ...]
    guid: bytes = field(init=False)

    def __post_init__(self) -> None:
        digest = hashlib.md5(repr((self.root, self.vtypes)).encode(), usedforsecurity=False)
        object.__setattr__(self, "guid", digest.digest())

    @property
    def template_id(self) -> int:
        """The 32-bit identifier a template instance carries: the GUID's first 4 bytes."""
        return int.from_bytes(self.guid[:4], "little")


def name_hash(name: str) -> int:
    """The 16-bit name hash of the EVTX string table (multiply by 65599, add code unit)."""
    h = 0
    for ch in name:
        h = (h * 65599 + ord(ch)) & 0xFFFFFFFF
    return h & 0xFFFF


# ---------------------------------------------------------------------------- chunk scope


class ChunkScope:
    """Names and templates already defined in one chunk, with the two hash tables.

    Offsets are chunk-relative. `begin()`/`rollback()` undo the definitions made for a
    record that turned out not to fit in the chunk.
    """

    def __init__(self) -> None:
        self.names: dict[str, int] = {}
        self.string_buckets = [0] * STRING_BUCKETS
        self.templates: dict[bytes, int] = {}
        self.template_buckets = [0] * TEMPLATE_BUCKETS
        self._undo: list[tuple[str, Any, int, int]] = []

    def begin(self) -> None:
        self._undo.clear()

    def rollback(self) -> None:
        for kind, key, bucket, previous in reversed(self._undo):
            if kind == "name":
                del self.names[key]
                self.string_buckets[bucket] = previous
            else:
                del self.templates[key]
                self.template_buckets[bucket] = previous
        self._undo.clear()

    # -- names

    def _resolve(self, name: str, here: int) -> tuple[int, bool]:
        """The offset to write for `name`; True when it must be defined right here."""
        offset = self.names.get(name)
        return (here, True) if offset is None else (offset, False)

    def _define(self, out: bytearray, name: str, here: int) -> None:
        encoded = name.encode("utf-16-le")
        h = name_hash(name)
        bucket = h % STRING_BUCKETS
        out += NAME_HEADER.pack(self.string_buckets[bucket], h, len(encoded) // 2)
        out += encoded + b"\x00\x00"
        self._undo.append(("name", name, bucket, self.string_buckets[bucket]))
        self.names[name] = here
        self.string_buckets[bucket] = here

    # -- elements

    def _element(self, out: bytearray, base: int, elem: Elem) -> None:
        token = TOKEN_OPEN_START | (MORE_FLAG if elem.attrs else 0)
        start = len(out)
        offset, inline = self._resolve(elem.name, base + start + ELEMENT_START.size)
        out += ELEMENT_START.pack(token, NO_DEPENDENCY, 0, offset)
        if inline:
            self._define(out, elem.name, offset)
        if elem.attrs:
            list_at = len(out)
            out += b"\x00\x00\x00\x00"
            last = len(elem.attrs) - 1
            for i, attr in enumerate(elem.attrs):
                token = TOKEN_ATTRIBUTE | (MORE_FLAG if i < last else 0)
                offset, inline = self._resolve(attr.name, base + len(out) + ATTRIBUTE_START.size)
                out += ATTRIBUTE_START.pack(token, offset)
                if inline:
                    self._define(out, attr.name, offset)
                _content(out, attr.value)
            U32.pack_into(out, list_at, len(out) - list_at - 4)
        if elem.children:
            out.append(TOKEN_CLOSE_START)
            for child in elem.children:
                if isinstance(child, Elem):
                    self._element(out, base, child)
                else:
                    _content(out, child)
            out.append(TOKEN_END_ELEMENT)
        else:
            out.append(TOKEN_CLOSE_EMPTY)
        size_at = start + 3  # token (1) + dependency id (2)
        U32.pack_into(out, size_at, len(out) - size_at - 4)

    # -- template instances

    def instance(self, out: bytearray, base: int, template: Template) -> None:
        """Append a template instance; the definition follows it on first use in the chunk."""
        defined = self.templates.get(template.guid)
        if defined is not None:
            out += TEMPLATE_INSTANCE.pack(TOKEN_TEMPLATE_INSTANCE, 1, template.template_id, defined)
            return
        here = base + len(out) + TEMPLATE_INSTANCE.size
        out += TEMPLATE_INSTANCE.pack(TOKEN_TEMPLATE_INSTANCE, 1, template.template_id, here)
        bucket = template.template_id % TEMPLATE_BUCKETS
        head_at = len(out)
        out += TEMPLATE_DEFINITION.pack(self.template_buckets[bucket], template.guid, 0)
        data_at = len(out)
        out += FRAGMENT
        self._element(out, base, template.root)
        out.append(TOKEN_EOF)
        U32.pack_into(out, head_at + 20, len(out) - data_at)
        self._undo.append(("template", template.guid, bucket, self.template_buckets[bucket]))
        self.templates[template.guid] = here
        self.template_buckets[bucket] = here


def _content(out: bytearray, item: Sub | str) -> None:
    if isinstance(item, Sub):
        token = TOKEN_OPTIONAL_SUBSTITUTION if item.optional else TOKEN_NORMAL_SUBSTITUTION
        out += SUBSTITUTION.pack(token, item.index, item.vtype)
    else:
        encoded = item.encode("utf-16-le")
        out += VALUE_TEXT.pack(TOKEN_VALUE, VT.STRING, len(encoded) // 2)
        out += encoded
