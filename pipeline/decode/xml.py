"""XML exports: `wevtutil qe /f:xml` streams, Event Viewer's `<Events>` files, PowerShell
`ToXml()` output, in UTF-8 or UTF-16.

The file is read as a stream of text blocks and cut into one `<Event>...</Event>` at a time;
each event is parsed on its own by a hardened lxml parser. Parsing event by event keeps
memory flat, takes both shapes (a bare stream of events has no single root, which a
whole-document parser refuses), and confines a malformed event to itself: it is skipped and
counted, and the events after it are read (a whole-document iterparse stops for good at the
first well-formedness error).

Hardening: event exports carry no document type declaration, so a file that declares one
(the vehicle of external entities and entity-expansion bombs) is refused outright; the
parser itself resolves no entities, loads no DTD, touches no network and keeps libxml2's
size limits, so an entity reference inside an event is an error for that event only.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from lxml import etree

from pipeline.normalize.xml_event import local, row_from_element
from pipeline.records import DecodeStats, EventRow

BLOCK_CHARS = 1 << 20
MAX_EVENT_CHARS = 16 << 20  # an event never comes near this; past it, the start is damaged

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)

_NAME = r"(?:[A-Za-z_][\w.-]*:)?Event"
# An event's start or end tag, or the opening of a section in which such a tag is text.
_TAG = re.compile(rf"<{_NAME}(?=[\s>/])|</{_NAME}\s*>|<!--|<!\[CDATA\[")
_CLOSERS = {"<!--": "-->", "<![CDATA[": "]]>"}
# What XML 1.0 forbids as a character: controls but tab and line ends, U+FFFE, U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CHAR_REF = re.compile(r"&#(?:x([0-9A-Fa-f]+)|([0-9]+));")
_DECLARATION = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def read_xml(path: Path, engine: object, stats: DecodeStats) -> Iterator[EventRow]:
    """Every well-formed `<Event>` of one export; `engine` applies to EVTX only."""
    _ANSI.bytes = 0
    with path.open("rb") as raw:
        for number, text in _events(_text_blocks(raw), stats):
            try:
                element = _parse(text)
            except etree.XMLSyntaxError as exc:
                stats.skip(f"event {number} malformed: {_first_line(exc)}")
                continue
            if not any(local(child.tag) == "System" for child in element):
                stats.skip(f"event {number} has no <System>: not an event record")
                continue
            yield row_from_element(element)
    if _ANSI.bytes:
        stats.problems.append(
            f"{_ANSI.bytes} bytes are not UTF-8 and the file declares no encoding:"
            " read as Windows-1252 (ANSI)"
        )


# Windows PowerShell 5.1 writes `ToXml()` output with `Set-Content` in the ANSI code page,
# without a declaration. Bytes that are not UTF-8 in such a file are read as Windows-1252,
# and counted (per thread: one file at a time) so that the file says so.
_ANSI = threading.local()


def _as_ansi(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _ANSI.bytes = getattr(_ANSI, "bytes", 0) + exc.end - exc.start
    return exc.object[exc.start : exc.end].decode("cp1252", "replace"), exc.end


codecs.register_error("hivewatch-ansi", _as_ansi)


def _parse(text: str) -> etree._Element:
    """One event. Exporters write characters XML 1.0 forbids (a value logged with a control
    character), raw or as a character reference; rather than lose the event, each becomes
    U+FFFD, the replacement character."""
    try:
        return etree.fromstring(text.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError:
        cleaned = _CHAR_REF.sub(_allowed_reference, _FORBIDDEN.sub("\ufffd", text))
        if cleaned == text:
            raise
        return etree.fromstring(cleaned.encode("utf-8"), _PARSER)


def _allowed_reference(match: re.Match[str]) -> str:
    hexadecimal, decimal = match.groups()
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    allowed = (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
    return match.group() if allowed else "\ufffd"


def _events(blocks: Iterator[str], stats: DecodeStats) -> Iterator[tuple[int, str]]:
    """(ordinal, text) of each `<Event>` element in the stream; what lies between events
    (declaration, `<Events>`, whitespace, comments) is passed over, and end tags of events
    whose start was lost are counted. A tag inside a comment or CDATA section is text."""
    buffer = ""
    number = orphans = 0
    prologue = True
    for block in blocks:
        buffer += block
        while True:
            tag, hold = _next_tag(buffer, 0)
            if tag is not None and tag.group().startswith("</"):
                orphans += 1
                buffer = buffer[tag.end() :]
                continue
            if tag is None:
                if prologue and _refused(buffer, stats):
                    return
                buffer = buffer[hold:]
                break
            if prologue:
                if _refused(buffer[: tag.start()], stats):
                    return
                prologue = False
            buffer = buffer[tag.start() :]
            end, _ = _next_tag(buffer, tag.end() - tag.start())
            if end is None:
                if len(buffer) > MAX_EVENT_CHARS:
                    number += 1
                    stats.skip(f"event {number} has no end within {MAX_EVENT_CHARS} characters")
                    buffer = buffer[1:]
                    continue
                break
            number += 1
            if not end.group().startswith("</"):
                stats.skip(f"event {number} malformed: cut off by the next <Event>")
                buffer = buffer[end.start() :]
                continue
            yield number, buffer[: end.end()]
            buffer = buffer[end.end() :]
    if _next_tag(buffer, 0)[0] is not None:
        stats.skip(f"event {number + 1} malformed: the file ends inside it")
    if orphans:
        stats.skip(f"{orphans} event end tags without a start", orphans)


def _next_tag(buffer: str, pos: int) -> tuple[re.Match[str] | None, int]:
    """The first event start or end tag from `pos` that is not inside a comment or CDATA, and
    its start; or None, and where to keep the text from to find the next one when more
    arrives: an unfinished comment or CDATA section, else the last 64 characters (a tag cut
    at the end) but no closed section."""
    while True:
        found = _TAG.search(buffer, pos)
        if found is None:
            return None, max(pos, len(buffer) - 64)
        closer = _CLOSERS.get(found.group())
        if closer is None:
            return found, found.start()
        stop = buffer.find(closer, found.end())
        if stop < 0:
            return None, found.start()
        pos = stop + len(closer)


def _refused(prologue: str, stats: DecodeStats) -> bool:
    if _DECLARATION.search(prologue) is None:
        return False
    stats.skip("refused: the file declares a DTD or entities (<!DOCTYPE>/<!ENTITY>)")
    return True


def _text_blocks(raw: IO[bytes]) -> Iterator[str]:
    """The file as text, in blocks, in its own encoding (BOM, NUL pattern, declaration)."""
    head = raw.read(4096)
    encoding, skip = _encoding(head)
    undeclared = encoding == "utf-8" and _ENCODING.match(head[skip:].lstrip()) is None
    errors = "hivewatch-ansi" if undeclared else "replace"
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    block = head[skip:]
    while block:
        yield decoder.decode(block)
        block = raw.read(BLOCK_CHARS)
    yield decoder.decode(b"", final=True)


def _encoding(head: bytes) -> tuple[str, int]:
    """The encoding and the length of its byte-order mark."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if head[1:2] == b"\x00" and head[:1] != b"\x00":
        return "utf-16-le", 0
    if head[:1] == b"\x00" and head[1:2] != b"\x00":
        return "utf-16-be", 0
    declared = _ENCODING.match(head.lstrip())
    if declared:
        name = declared.group(1).decode("ascii")
        try:
            codecs.lookup(name)
        except LookupError:
            return "utf-8", 0
        if not name.lower().replace("-", "").startswith("utf16"):
            return name, 0
    return "utf-8", 0


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
