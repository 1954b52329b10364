"""Which reader a file is for, decided by its first bytes, never by its name."""

from __future__ import annotations

import re
from typing import Literal

from pipeline.decode.evt_frames import HEADER_START
from pipeline.decode.evtx import looks_like_evtx

Format = Literal["evtx", "evt", "xml"]

SNIFF_BYTES = 0x1008  # enough to see an EVTX chunk signature behind a destroyed file header


# A document type naming an event root is sniffed as XML too, so that the reader refuses
# it with its reason rather than calling it "not an event log".
# Processing instructions (the declaration, a stylesheet) and comments may come first; the
# root may carry a namespace prefix (`<e:Event xmlns:e=...>`).
_XML_PROLOGUE = re.compile(
    r"^\s*(<\?[^>]*\?>\s*|<!--.*?-->\s*)*(<!DOCTYPE\s+|<)([\w.-]+:)?(Events|Event)[\s>/\[]",
    re.S,
)


def sniff(head: bytes) -> Format | None:
    """The format of a file starting with `head`, or None if it is none Hivewatch reads."""
    if looks_like_evtx(head):
        return "evtx"
    if head.startswith(HEADER_START) or _evt_record_after_header(head):
        return "evt"
    if _XML_PROLOGUE.match(_xml_text(head)):
        return "xml"
    return None


def _evt_record_after_header(head: bytes) -> bool:
    """A damaged .evt header (libyal "Windows Event Log (EVT) format": a 48-byte header that
    starts with its size and "LfLe"), and the first record where it belongs: its size (a multiple
    of four, at least the 56 bytes of its fixed part) and then "LfLe" at offset 48."""
    if head[52:56] != b"LfLe":
        return False
    size = int.from_bytes(head[48:52], "little")
    return size >= 56 and size % 4 == 0


def _xml_text(head: bytes) -> str:
    """The start of a possible XML export as text, in UTF-8 or UTF-16 (with or without BOM)."""
    sample = head[:1024]
    if sample.startswith(b"\xef\xbb\xbf"):
        return sample[3:].decode("utf-8", "replace")
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return sample.decode("utf-16", "replace")
    if sample[1:2] == b"\x00" and sample[:1] != b"\x00":
        return sample[: len(sample) // 2 * 2].decode("utf-16-le", "replace")
    return sample.decode("utf-8", "replace")
