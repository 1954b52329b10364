"""Which reader a file is for, decided by its first bytes, never by its name."""

from __future__ import annotations

import re
from typing import Literal

from pipeline.decode.evtx import looks_like_evtx

Format = Literal["evtx", "evt", "xml"]

SNIFF_BYTES = 0x1008  # enough to see an EVTX chunk signature behind a destroyed file header

# .evt (libyal "Windows Event Log (EVT) format"): the header is an EVENTLOGRECORD-sized
# block whose first dword is its size (0x30) and whose signature "LfLe" follows it.
_EVT_HEADER = b"\x30\x00\x00\x00LfLe"

# A document type naming an event root is sniffed as XML too, so that the reader refuses
# it with its reason rather than calling it "not an event log".
_XML_PROLOGUE = re.compile(
    r"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE\s+|<)(Events|Event)[\s>/\[]", re.S
)


def sniff(head: bytes) -> Format | None:
    """The format of a file starting with `head`, or None if it is none Hivewatch reads."""
    if looks_like_evtx(head):
        return "evtx"
    if head.startswith(_EVT_HEADER):
        return "evt"
    if _XML_PROLOGUE.match(_xml_text(head)):
        return "xml"
    return None


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
