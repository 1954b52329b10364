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


# What else a folder of collected logs holds, by its first bytes, with what to do instead.
_ARCHIVES = (
    (b"PK\x03\x04", "a zip archive: unpack it and ingest the folder"),
    (b"MSCF", "a cabinet (.cab) archive: expand it and ingest the folder"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: unpack it and ingest the folder"),
    (b"\x1f\x8b", "a gzip file: unpack it and ingest what it holds"),
)
_CLIXML = re.compile(r"^\s*(<\?[^>]*\?>\s*)?<Objs\b[^>]*schemas\.microsoft\.com/powershell", re.S)
# Export-Csv of Get-WinEvent or Get-EventLog (with Windows PowerShell's #TYPE line or without,
# as PowerShell 7 writes it), and Event Viewer's "Save as" CSV or tab-separated text.
_TABLE_EXPORT = re.compile(
    r"^(#TYPE System\.Diagnostics\.(Eventing\.Reader\.EventLogRecord|EventLogEntry)\b"
    r'|"Message","Id",[^\n]*"ProviderName"'
    r'|"EventID","MachineName",'
    r'|"?Level"?[,\t]"?Date and Time"?[,\t]"?Source"?[,\t]"?Event ID"?)'
)
_AS_XML = "export the log with wevtutil qe LOG /f:xml, or collect the .evtx file itself"


def other_kind(head: bytes) -> str | None:
    """What a file that is no event log is, when it is something logs are often collected
    as, with what to do instead; None when it is nothing recognised."""
    for magic, what in _ARCHIVES:
        if head.startswith(magic):
            return what
    text = _xml_text(head)
    if _CLIXML.match(text):
        return (
            "a PowerShell Export-Clixml file, whose events lost their field names: "
            + _AS_XML
            + " (or Get-WinEvent ... | ForEach-Object ToXml, run where the events are)"
        )
    if _TABLE_EXPORT.match(text.lstrip("\ufeff")):
        return f"a CSV or text export of events, whose data is rendered text: {_AS_XML}"
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
