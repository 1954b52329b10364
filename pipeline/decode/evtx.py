"""EVTX files: pyevtx-rs first, python-evtx for whatever it cannot read.

Layout facts used here (MS-EVEN6 section 2.2 and libyal's "Windows XML Event Log (EVTX)"
format document): a 4096-byte file header `ElfFile\\0`, then 65536-byte chunks `ElfChnk\\0`,
each a 512-byte header followed by records that start `**\\0\\0`, give their size at offset 4
and repeat it in their last four bytes.

`auto` reads the file with pyevtx-rs, iterating past its per-record and per-chunk errors
(each reported as a RuntimeWarning). If it reported any, python-evtx walks the file again,
chunk by chunk from the first chunk to the end of the file (so a stale header chunk count
hides nothing), resynchronising on the next well-formed record after damage, and renders
every record pyevtx-rs did not yield: those rows count as `recovered`. What no engine reads
is counted as `skipped`, with a reason naming the chunk and byte range. `rust` never falls
back; `python` uses python-evtx alone.
"""

from __future__ import annotations

import mmap
import warnings
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from evtx import PyEvtxParser
from Evtx.Evtx import ChunkHeader, Record
from lxml import etree

from pipeline.decode import evtx_spelling
from pipeline.normalize.event_data import encode
from pipeline.normalize.json_event import row_from_json
from pipeline.normalize.xml_event import row_from_element
from pipeline.records import DecodeStats, EventRow

Engine = Literal["auto", "rust", "python"]
ENGINES: tuple[Engine, ...] = ("auto", "rust", "python")

FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
RECORD_MAGIC = b"\x2a\x2a\x00\x00"
FILE_HEADER_SIZE = 0x1000
CHUNK_SIZE = 0x10000
CHUNK_HEADER_SIZE = 0x200
RECORD_HEADER_SIZE = 0x18  # signature, size, record number, written time


def looks_like_evtx(head: bytes) -> bool:
    """A file header signature, or (header destroyed) a chunk signature where chunk 0 starts."""
    return head.startswith(FILE_MAGIC) or (
        head[FILE_HEADER_SIZE : FILE_HEADER_SIZE + 8] == CHUNK_MAGIC
    )


def read_evtx(path: Path, engine: Engine, stats: DecodeStats) -> Iterator[EventRow]:
    """Every readable record of one `.evtx` file; what cannot be read lands in `stats`.

    Header-only rows (`_render`) come last, with the host and channel of the file's other
    records when those all name the same: an `.evtx` file is one log of one machine, and
    with them the row has the identity of its intact copy in another file, which then
    replaces it (store/event_parts.py) instead of standing beside it as a second event."""
    held: list[EventRow] = []
    names: set[tuple[str | None, str | None]] = set()
    for row in _records(path, engine, stats):
        if row.host is None and row.channel is None and row.provider is None:
            held.append(row)
        else:
            names.add((row.host, row.channel))
            yield row
    if len(names) == 1:
        host, channel = names.pop()
        held = [row._replace(host=host, channel=channel) for row in held]
    yield from held


def _records(path: Path, engine: Engine, stats: DecodeStats) -> Iterator[EventRow]:
    stats.problems.extend(checksum_problems(path))
    cut = cut_short(path)
    if cut is not None:
        stats.skip(*cut)
    if engine == "python":
        yield from _python_rows(path, stats, wanted=None)
        return
    seen: set[int] = set()
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            parser = PyEvtxParser(str(path), number_of_threads=1, skip_errors=True)
            for record in parser.records_json():
                if record is None:
                    continue
                record_id = record["event_record_id"]
                seen.add(record_id)
                yield row_from_json(record_id, record["timestamp"], record["data"])
        except (RuntimeError, OSError, ValueError) as exc:
            messages.append(f"pyevtx-rs stopped: {_one_line(exc)}")
        messages.extend(_one_line(w.message) for w in caught)
    if not messages:
        missing = _first_missing(path, seen)
        if missing is None:
            return
        messages.append(missing)
    if engine == "rust":
        for message in messages:
            stats.skip(message)
        return
    # python-evtx walks every chunk and record region and accounts for what it cannot read;
    # pyevtx-rs's messages describe the same damage, so they are not counted a second time.
    for row in _python_rows(path, stats, wanted=lambda rid: rid not in seen):
        stats.recovered += 1
        yield row


def checksum_problems(path: Path) -> list[str]:
    """Chunks whose records checksum does not match: their records still parse, but some
    content may have been altered (a flipped byte inside a string parses fine). Each is
    noted, not skipped. A stored checksum of zero means none was written, as in some tools'
    exports, and is not a mismatch."""
    problems: list[str] = []
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        for index, offset in enumerate(range(FILE_HEADER_SIZE, len(buf), CHUNK_SIZE)):
            if buf[offset : offset + 8] != CHUNK_MAGIC or offset + CHUNK_HEADER_SIZE > len(buf):
                continue
            free = int.from_bytes(buf[offset + 48 : offset + 52], "little")
            stored = int.from_bytes(buf[offset + 52 : offset + 56], "little")
            end = offset + free
            if stored == 0 or not CHUNK_HEADER_SIZE <= free <= CHUNK_SIZE or end > len(buf):
                continue
            if zlib.crc32(buf[offset + CHUNK_HEADER_SIZE : end]) != stored:
                problems.append(f"chunk {index}: records checksum mismatch, content may be altered")
    return problems


def cut_short(path: Path) -> tuple[str, int] | None:
    """Why and how many chunks are missing, when the file ends before the chunks its header
    declares (offset 42: the chunk count): a copy cut at a chunk boundary leaves no damaged
    chunk to notice. More chunks than declared is a stale header, and hides nothing."""
    with path.open("rb") as handle:
        header = handle.read(FILE_HEADER_SIZE)
        size = handle.seek(0, 2)
    if not header.startswith(FILE_MAGIC):
        return None  # header destroyed: its count is no evidence
    if size < FILE_HEADER_SIZE:
        return f"file of {size} bytes ends inside its header", 1
    declared = int.from_bytes(header[42:44], "little")
    present = -(-(size - FILE_HEADER_SIZE) // CHUNK_SIZE)  # a partial last chunk counts
    if declared <= present:
        return None
    return f"file ends after {present} of the {declared} chunks its header declares", (
        declared - present
    )


def _first_missing(path: Path, seen: set[int]) -> str | None:
    """Why pyevtx-rs's silence cannot be trusted, if it cannot: a chunk header declares a
    record it did not yield (it drops a truncated last chunk without a word)."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        for index, offset in enumerate(range(FILE_HEADER_SIZE, len(buf), CHUNK_SIZE)):
            if buf[offset : offset + 8] != CHUNK_MAGIC or offset + 40 > len(buf):
                continue
            first = int.from_bytes(buf[offset + 24 : offset + 32], "little")
            last = int.from_bytes(buf[offset + 32 : offset + 40], "little")
            if last - first > CHUNK_SIZE:  # not a plausible header; python-evtx will judge
                return f"chunk {index}: implausible record numbers {first}-{last}"
            for record_id in range(first, last + 1):
                if record_id not in seen:
                    return f"chunk {index}: record {record_id} not read by pyevtx-rs"
    return None


def _python_rows(
    path: Path, stats: DecodeStats, wanted: Callable[[int], bool] | None
) -> Iterator[EventRow]:
    """python-evtx over every chunk-sized step of the file, past damaged chunks and records."""
    evtx_spelling.install()
    size = path.stat().st_size
    if size <= FILE_HEADER_SIZE:
        return  # no chunk to read; `cut_short` says what the header declared
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        for index, offset in enumerate(range(FILE_HEADER_SIZE, size, CHUNK_SIZE)):
            yield from _chunk_rows(buf, index, offset, stats, wanted)


def _chunk_rows(
    buf: mmap.mmap,
    index: int,
    offset: int,
    stats: DecodeStats,
    wanted: Callable[[int], bool] | None,
) -> Iterator[EventRow]:
    end = min(offset + CHUNK_SIZE, len(buf))
    if buf[offset : offset + 8] != CHUNK_MAGIC:
        if buf[offset:end].count(0) != end - offset:  # an all-zero chunk is unused space
            stats.skip(f"chunk {index}: no chunk signature at offset {offset:#x}")
        return
    if end - offset < CHUNK_HEADER_SIZE:
        stats.skip(f"chunk {index}: truncated inside its header")
        return
    try:
        chunk = ChunkHeader(buf, offset)
        limit = min(offset + max(chunk.next_record_offset(), CHUNK_HEADER_SIZE), end)
        # Chunk header offsets 24 and 32: the first and last event record identifiers.
        declared = range(chunk.log_first_record_number(), chunk.log_last_record_number() + 1)
        _load_tables(chunk)
    except Exception as exc:  # python-evtx raises many exception types on damage
        stats.skip(f"chunk {index}: unreadable header ({_one_line(exc)})")
        return
    position = offset + CHUNK_HEADER_SIZE
    while position + RECORD_HEADER_SIZE <= limit:
        size = _declared_size(buf, position, end)
        if size is None:
            resume = _next_record(buf, position + 1, limit, end)
            gap_end = limit if resume is None else resume
            stats.skip(f"chunk {index}: no readable record in bytes {position:#x}-{gap_end:#x}")
            if resume is None:
                return
            position = resume
            continue
        record = Record(buf, position, chunk)
        record_id = record.record_num()
        if wanted is None or wanted(record_id):
            row = _render(record, record_id, index, stats, record_id in declared)
            if row is not None:
                yield row
        following = position + size
        if following >= limit or _well_formed(buf, position, end, size):
            position = following
        elif _declared_size(buf, following, end) is None:
            # The size field itself may be damaged: find the next record after this header.
            resume = _next_record(buf, position + RECORD_HEADER_SIZE, limit, end)
            if resume is None or resume > following:
                gap_end = limit if resume is None else resume
                stats.skip(
                    f"chunk {index}: no readable record in bytes {following:#x}-{gap_end:#x}"
                )
            if resume is None:
                return
            position = resume
        else:
            position = following


def _load_tables(chunk: ChunkHeader) -> None:
    """Load the chunk's string and template tables one hash chain at a time.

    python-evtx loads each table in one loop that stops at the first entry it cannot read
    (in a truncated chunk, say), leaving the tables half filled and every later record that
    needs a missing entry unreadable. Here a bad entry costs only the rest of its own chain.
    The chunk header holds 64 string and 32 template chain heads at 0x80 and 0x180.
    """
    chunk._strings = {}
    chunk._templates = {}
    for heads, count, add in ((0x80, 64, chunk.add_string), (0x180, 32, chunk.add_template)):
        for slot in range(count):
            try:
                entry = chunk.unpack_dword(heads + 4 * slot)
                visited: set[int] = set()
                while 0 < entry < CHUNK_SIZE and entry not in visited:  # damage can loop a chain
                    visited.add(entry)
                    entry = add(entry).next_offset()
            except Exception:  # a damaged chain ends here; the other chains still load
                continue


def _declared_size(buf: mmap.mmap, position: int, end: int) -> int | None:
    """The size a record at `position` declares, if it has the signature and a size that fits."""
    if buf[position : position + 4] != RECORD_MAGIC:
        return None
    size = int.from_bytes(buf[position + 4 : position + 8], "little")
    if size < RECORD_HEADER_SIZE + 4 or position + size > end:
        return None
    return size


def _well_formed(buf: mmap.mmap, position: int, end: int, size: int) -> bool:
    """The record's last four bytes repeat its size: a strong sign its boundaries are right."""
    return int.from_bytes(buf[position + size - 4 : position + size], "little") == size


def _next_record(buf: mmap.mmap, start: int, limit: int, end: int) -> int | None:
    """Resynchronise after damage: the next offset holding a well-formed record."""
    position = buf.find(RECORD_MAGIC, start, limit)
    while position != -1:
        size = _declared_size(buf, position, end)
        if size is not None and _well_formed(buf, position, end, size):
            return position
        position = buf.find(RECORD_MAGIC, position + 1, limit)
    return None


def _render(
    record: Record, record_id: int, index: int, stats: DecodeStats, declared: bool
) -> EventRow | None:
    """The record rendered by python-evtx; if its body is unreadable, its header alone.

    A header-only row keeps the record id and the time the record was written, with the
    reason under `event_data.unreadable`; the reason is noted in the file's `error`. Only a
    record inside the chunk header's declared number range gets one: an unreadable record
    outside it is stale slack whose templates may be gone, and is skipped.
    """
    try:
        # python-evtx leaves a carriage return in a value as it is, and an XML parser reads
        # a raw CR LF as LF; as a character reference it survives, as in pyevtx-rs's JSON.
        xml = record.xml().replace("\r", "&#13;")
        return row_from_element(etree.fromstring(xml), record_id)
    except Exception as exc:  # damage shows as many exception types inside python-evtx
        reason = _one_line(f"{type(exc).__name__}: {exc}")
        if not declared:
            stats.skip(f"chunk {index}: stale record {record_id} unreadable ({reason})")
            return None
        stats.problems.append(f"chunk {index}: record {record_id} body unreadable ({reason})")
        written = record.timestamp().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return EventRow(
            host=None,
            channel=None,
            provider=None,
            event_id=None,
            qualifiers=None,
            level=None,
            time_created=written,
            record_id=record_id,
            process_id=None,
            thread_id=None,
            user_sid=None,
            event_data=encode({"unreadable": reason}),
        )


def _one_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text.removeprefix("Skipping EVTX data: ").removeprefix("RuntimeError: ")[:300]
