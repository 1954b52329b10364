"""The profile-event catalog: which events are profile events, and how to read them.

The catalog is data: `profile_catalog.csv`, one row per (provider, event id[, text variant]),
covering every profile event of shared/domain.md across OS generations. This module loads it
once (lazily), checks every row (a bad row fails the load, naming its line), and offers the
small readers the normalizers need: `lookup` finds the row of an event, `read_field` reads
one field of its `event_data` by a spec the row names.

Rows are keyed on provider plus event id, never on the id alone: 1000 is logged by many
providers (Application Error, LoadPerf, Userinit ...), 1509 and 1511 by more than one, and
Group Policy uses 1500-1503 for other things.

Columns
-------
provider      provider name as logged (`Provider/@Name`, or the .evt source name),
              compared case-insensitively (`uphclean` is `UPHClean`)
event_id      the low 16 bits of the event identifier
text_match    a regular expression (case-insensitive, `.` spans lines) searched in the
              event's text (`event_text`); empty: any text. Rows of one provider and id are
              tried in file order; an event that matches none of them is not a profile event
              (Userenv 1000 is also the catch-all of Windows 2000's userenv.dll)
channel       empty, or the one channel the row applies to (an unknown channel is let through)
aliases       other provider names, `;`-separated, that log the same event (`Profsvc`, the
              legacy source name of the User Profiles Service)
kind          what the event says happened, snake_case (list below)
class         the `unload_incidents` class it signals (one of CLASS_PRECEDENCE); empty for
              context events (notifications, service start/stop, resolutions, Offline Files)
role          `failure` (the row has a class), `related` (no class, but part of the incident
              it falls in: the 1516 resolution, UPHClean's report-only 1501/1511) or
              `context` (never part of an incident: notifications, service start/stop)
remediates    `profile_service` (1530: the service force-unloaded the hive) or `uphclean`
              (UPHClean 1201/1401: it closed or remapped the handles); empty otherwise
families      `;`-separated OS families logging this provider and id (FAMILIES)
user_sid, user_name, detail
              field specs (grammar below) for the `profile_events` columns
leak_parser   which hive_leaks parser reads the event: `detail` (1530 DETAIL), `uphclean`
              (UPHClean 1201/1211/1401/1501 body), `lock` (1545/1552), or empty
leak_body, leak_header, leak_image, leak_pid
              field specs for that parser: `detail` needs leak_body; `uphclean` needs
              leak_body and leak_header (`DOMAIN\\user (SID)`); `lock` needs leak_image and
              leak_pid; a row without a parser leaves all four empty
meaning       the message, abridged

Field specs
-----------
    spec      := term ( "+" term )*      the terms that have a value, joined with "; "
    term      := alt ( "|" alt )*        the first alternative that has a value
    alt       := source [ ":" transform ]
    source    := NAME       a named EventData value, name compared case-insensitively;
                            `A/B` walks into nested objects (UserData is kept nested)
               | N          the value %N of the message (1-based): the N-th classic
                            insertion string of `strings`, or, when the event has none, the
                            N-th named value in document order
               | @sid       the record's own security SID, never a service account
                            (S-1-5-18/19/20); user_sid only
               | @leak      the SID the leak parser finds in the body; user_sid only, rows
                            with a `detail` or `uphclean` parser. 1530 is logged by SYSTEM,
                            so its user is only ever this one
    transform := sid        the value if it is a SID, else a "(S-1-...)" inside it
               | account    the value without a trailing " (S-1-...)"; nothing for a bare SID

A value "has a value" when it is present and not blank; numbers read as their decimal text.
An empty spec reads nothing.

Kinds
-----
hive_unload_denied (Userenv 1000 unload text), registry_quota_exceeded (Userenv 1000
"Insufficient system resources"), registry_io_failed (Application Popup 333),
profile_load_failed (1500), local_profile_load_failed (1502), roaming_update_failed (1504),
registry_load_failed (1508), profile_file_copy_failed (1509), temporary_profile (1511),
hive_unload_failed_memory_held (1512), profile_backup_used (1515),
hive_unloaded_after_release (1516), hive_saved_while_in_use (1517),
roaming_server_copy_missing (1521), classes_hive_in_use (1524),
offline_caching_on_roaming_share (1525), hive_leak_forced_unload (1530),
profile_dir_not_deleted (1533), profile_notification_failed (1534),
csc_suspend_policy_failed (1541), classes_hive_load_failed (1542), hive_file_locked (1545),
hive_registry_locked (1552); the Operational channel's logon_notification_received /
logon_notification_finished / logoff_notification_received / logoff_notification_finished
(1-4), hive_loaded (5), logon_profile_info (67); UPHClean's uphclean_started (1001),
uphclean_stopped (1010), uphclean_unload_retry (1111), uphclean_handles_closed (1201),
uphclean_handles_not_closed (1211), uphclean_handles_remapped (1401),
uphclean_handles_reported (1501), uphclean_hive_loaded_logged_off (1511); Offline Files'
csc_user_logon (7), csc_user_logoff (8), csc_path_disconnected (9), csc_path_reconnected
(10), csc_slow_link (1004), csc_slow_link_blocked_by_handle (1008), csc_sync_succeeded
(2005), csc_sync_failed (2006). The same meaning keeps the same kind across generations
(Userenv 1517 and User Profiles Service 1517 are both hive_saved_while_in_use).
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final, Literal, NamedTuple

from pipeline.errors import HivewatchError

CSV_NAME: Final = "profile_catalog.csv"

# The classes of shared/CONTRACT.md in the order the ground truth (fixtures/truth.json
# `class_precedence`) names an incident: the first class any of its events signals.
CLASS_PRECEDENCE: Final[tuple[str, ...]] = (
    "hive_leak_forced_unload",
    "hive_locked_by_process",
    "hive_held_memory_not_freed",
    "classes_hive_held",
    "unload_access_denied",
    "uphclean_failed",
    "uphclean_released",
    "profile_not_deleted",
    "roaming_sync_failed",
    "profile_load_failed",
    "registry_quota",
)
FAMILIES: Final[tuple[str, ...]] = ("nt4", "win2000", "xp2003", "vista+")
# Each leak parser and the spec columns it reads.
LEAK_PARSERS: Final[dict[str, tuple[str, ...]]] = {
    "detail": ("leak_body",),
    "uphclean": ("leak_body", "leak_header"),
    "lock": ("leak_image", "leak_pid"),
}
ROLES: Final = ("failure", "related", "context")
REMEDIES: Final = ("profile_service", "uphclean")  # in precedence order
LEAK_COLUMNS: Final = ("leak_body", "leak_header", "leak_image", "leak_pid")
SPEC_COLUMNS: Final = ("user_sid", "user_name", "detail", *LEAK_COLUMNS)
COLUMNS: Final = (
    "provider",
    "event_id",
    "text_match",
    "channel",
    "aliases",
    "kind",
    "class",
    "role",
    "remediates",
    "families",
    "user_sid",
    "user_name",
    "detail",
    "leak_parser",
    *LEAK_COLUMNS,
    "meaning",
)
SERVICE_SIDS: Final = frozenset({"S-1-5-18", "S-1-5-19", "S-1-5-20"})
JOIN: Final = "; "
# Keys of `event_data` that are not EventData values (see pipeline/normalize/event_data.py).
NOT_VALUES: Final = frozenset({"strings", "#attributes", "Binary", "UserData"})

_KIND = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_EVENT_ID = re.compile(r"[0-9]{1,5}")
_ALT = re.compile(
    r"(?:(?P<index>[1-9][0-9]*)"
    r"|(?P<name>[A-Za-z_#][\w.-]*(?:/[A-Za-z_#][\w.-]*)*)"
    r"|@(?P<special>sid|leak))"
    r"(?::(?P<transform>sid|account))?"
)
_SID = re.compile(r"S-1-[0-9]+(?:-[0-9]+)+", re.IGNORECASE)
_SID_IN_PARENS = re.compile(r"\(\s*(S-1-[0-9]+(?:-[0-9]+)+)\s*\)", re.IGNORECASE)
_TRAILING_SID = re.compile(r"\s*\(\s*S-1-[0-9]+(?:-[0-9]+)+\s*\)\s*$", re.IGNORECASE)
_VERSION = re.compile(r"([0-9]+)\.([0-9]+)")


class CatalogError(HivewatchError):
    """The catalog file is malformed; the message names the file and line."""


# ------------------------------------------------------------------------------ specs


class Source(NamedTuple):
    """One alternative of a field spec."""

    kind: Literal["name", "index", "sid", "leak"]
    path: tuple[str, ...] = ()  # name: the segments of A/B
    position: int = 0  # index: N of %N
    transform: Literal["sid", "account"] | None = None


Spec = tuple[tuple[Source, ...], ...]  # terms, each a tuple of alternatives


@functools.lru_cache(maxsize=512)
def parse_spec(spec: str) -> Spec:
    """The parsed form of a spec (grammar in the module docstring); ValueError if malformed."""
    if not spec.strip():
        return ()
    terms: list[tuple[Source, ...]] = []
    for term in spec.split("+"):
        alts: list[Source] = []
        for alt in term.split("|"):
            text = alt.strip()
            m = _ALT.fullmatch(text)
            if m is None:
                raise ValueError(f"bad field spec {spec!r}: cannot read {text!r}")
            transform = m["transform"]
            tr: Literal["sid", "account"] | None = (
                "sid" if transform == "sid" else "account" if transform == "account" else None
            )
            if m["index"] is not None:
                alts.append(Source("index", position=int(m["index"]), transform=tr))
            elif m["name"] is not None:
                path = tuple(m["name"].split("/"))
                if path[0].lower() == "strings":
                    raise ValueError(f"bad field spec {spec!r}: use N for insertion strings")
                alts.append(Source("name", path=path, transform=tr))
            else:
                alts.append(Source("sid" if m["special"] == "sid" else "leak", transform=tr))
        terms.append(tuple(alts))
    return tuple(terms)


def _get(obj: Mapping[str, object], name: str) -> object | None:
    """A key of `obj`, compared case-insensitively (an exact match first)."""
    if name in obj:
        return obj[name]
    low = name.lower()
    for key, value in obj.items():
        if key.lower() == low:
            return value
    return None


def _as_text(value: object) -> str | None:
    """A scalar value as text; an element rendered with attributes gives its `#text`."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        inner = value.get("#text")
        return None if isinstance(inner, Mapping) else _as_text(inner)
    return None


def _nth(event_data: Mapping[str, object], n: int) -> object | None:
    """Value %n: the n-th insertion string, or the n-th named value when there are none."""
    strings = event_data.get("strings")
    if isinstance(strings, list):
        return strings[n - 1] if n <= len(strings) else None
    values = [v for k, v in event_data.items() if k not in NOT_VALUES]
    return values[n - 1] if n <= len(values) else None


def _sid_of(value: str) -> str | None:
    text = value.strip()
    if _SID.fullmatch(text):
        return text
    m = _SID_IN_PARENS.search(value)
    return m[1] if m else None


def _account_of(value: str) -> str | None:
    text = value.strip()
    if _SID.fullmatch(text):
        return None
    return _TRAILING_SID.sub("", text) or None


def _read(
    event_data: Mapping[str, object] | None, source: Source, security_sid: str | None
) -> str | None:
    value: object | None
    if source.kind == "sid":
        sid = (security_sid or "").strip()
        value = sid if sid and sid.upper() not in SERVICE_SIDS else None
    elif source.kind == "leak" or event_data is None:
        return None  # @leak: the leak parser's answer, not a value of event_data
    elif source.kind == "index":
        value = _nth(event_data, source.position)
    else:
        value = event_data
        for segment in source.path:
            if not isinstance(value, Mapping):
                return None
            value = _get(value, segment)
    text = _as_text(value)
    if text is None:
        return None
    if source.transform == "sid":
        return _sid_of(text)
    if source.transform == "account":
        return _account_of(text)
    return text


def read_field(
    event_data: Mapping[str, object] | None, spec: str, *, security_sid: str | None = None
) -> str | None:
    """The value a field spec names in one event's `event_data` (None when it has none).

    `security_sid` is the record's `user_sid` column, read by `@sid` only.
    """
    parts: list[str] = []
    for term in parse_spec(spec):
        for source in term:
            text = _read(event_data, source, security_sid)
            if text is not None and text.strip():
                parts.append(text)
                break
    return JOIN.join(parts) if parts else None


def event_text(event_data: Mapping[str, object] | None) -> str:
    """Every value of `event_data` in document order, one a line: the text `lookup` matches."""
    out: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if key not in ("#attributes", "Binary"):
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        else:
            text = _as_text(value)
            if text is not None:
                out.append(text)

    if event_data:
        walk(event_data)
    return "\n".join(out)


def family_from_version(text: str) -> str | None:
    """The OS family of a version string such as EventLog 6009's first insertion string.

    "4.0" is nt4, "5.0" win2000, "5.1"/"5.2" xp2003, "6.x" and "10.0" vista+; leading zeros
    as real 6009s write them ("5.01.", "6.01.") read the same. None for anything else.
    """
    m = _VERSION.search(text)
    if m is None:
        return None
    major, minor = int(m[1]), int(m[2])
    if major == 4 and minor == 0:
        return "nt4"
    if major == 5:
        return {0: "win2000", 1: "xp2003", 2: "xp2003"}.get(minor)
    if major >= 6:
        return "vista+"
    return None


def class_rank(event_class: str) -> int:
    """Position in CLASS_PRECEDENCE (0 names an incident first); ValueError if unknown."""
    return CLASS_PRECEDENCE.index(event_class)


# ------------------------------------------------------------------------------ entries


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One catalog row. Spec fields hold spec text ("" reads nothing)."""

    provider: str
    event_id: int
    text_match: str
    channel: str
    aliases: tuple[str, ...]
    kind: str
    event_class: str | None  # the CSV's `class`
    role: str
    remediates: str | None
    families: tuple[str, ...]
    user_sid: str
    user_name: str
    detail: str
    leak_parser: str | None
    leak_body: str
    leak_header: str
    leak_image: str
    leak_pid: str
    meaning: str
    line: int = field(default=0, compare=False)
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        """The provider and its aliases, lower-cased."""
        return (self.provider.lower(), *(a.lower() for a in self.aliases))

    @property
    def sid_from_leak(self) -> bool:
        """True when the user SID comes from the leak parser (1530), never from the record."""
        return any(s.kind == "leak" for term in parse_spec(self.user_sid) for s in term)

    def matches(self, channel: str | None, text: str) -> bool:
        if self.channel and channel is not None and channel.strip().lower() != self.channel.lower():
            return False
        return self.pattern is None or self.pattern.search(text) is not None


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(";") if p.strip())


def _check_spec(row: Mapping[str, str], column: str) -> None:
    spec = row[column]
    try:
        sources = [s for term in parse_spec(spec) for s in term]
    except ValueError as exc:
        raise ValueError(f"{column}: {exc}") from None
    kinds = {s.kind for s in sources}
    if kinds & {"sid", "leak"} and column != "user_sid":
        raise ValueError(f"{column}: @sid and @leak belong in user_sid only ({spec!r})")
    if "leak" in kinds:
        if row["leak_parser"] not in ("detail", "uphclean"):
            raise ValueError("user_sid: @leak needs a detail or uphclean leak_parser")
        if "sid" in kinds:
            raise ValueError("user_sid: @leak rows must not read the record's SID (@sid)")


def _entry(row: Mapping[str, str], line: int) -> CatalogEntry:
    """One validated row; ValueError with the reason when it is not."""
    provider = row["provider"]
    if not provider or provider != provider.strip():
        raise ValueError(f"provider {provider!r} is empty or padded")
    if not _EVENT_ID.fullmatch(row["event_id"]) or int(row["event_id"]) > 0xFFFF:
        raise ValueError(f"event_id {row['event_id']!r} is not a number 0-65535")
    pattern = None
    if row["text_match"]:
        try:
            pattern = re.compile(row["text_match"], re.IGNORECASE | re.DOTALL)
        except re.error as exc:
            raise ValueError(f"text_match {row['text_match']!r}: {exc}") from None
    aliases = _split(row["aliases"])
    if any(a.lower() == provider.lower() for a in aliases):
        raise ValueError(f"alias repeats the provider {provider!r}")
    if not _KIND.fullmatch(row["kind"]):
        raise ValueError(f"kind {row['kind']!r} is not snake_case")
    event_class = row["class"] or None
    if event_class is not None and event_class not in CLASS_PRECEDENCE:
        raise ValueError(f"unknown class {event_class!r}")
    role = row["role"]
    if role not in ROLES or (role == "failure") != (event_class is not None):
        raise ValueError(f"role {role!r}: want failure (with a class), related or context")
    remediates = row["remediates"] or None
    if remediates not in (None, *REMEDIES):
        raise ValueError(f"remediates {remediates!r}: want empty or one of {', '.join(REMEDIES)}")
    families = _split(row["families"])
    bad = [f for f in families if f not in FAMILIES]
    if not families or bad or len(set(families)) != len(families):
        raise ValueError(f"families {row['families']!r}: want some of {', '.join(FAMILIES)}")
    parser = row["leak_parser"] or None
    if parser is not None and parser not in LEAK_PARSERS:
        raise ValueError(f"unknown leak_parser {parser!r}")
    needed = LEAK_PARSERS.get(parser or "", ())
    for column in LEAK_COLUMNS:
        if column in needed and not row[column].strip():
            raise ValueError(f"leak_parser {parser} needs {column}")
        if column not in needed and row[column].strip():
            raise ValueError(f"{column} is set but leak_parser {parser or '(none)'} reads nothing")
    for column in SPEC_COLUMNS:
        _check_spec(row, column)
    if not row["meaning"].strip():
        raise ValueError("meaning is empty")
    return CatalogEntry(
        provider=provider,
        event_id=int(row["event_id"]),
        text_match=row["text_match"],
        channel=row["channel"].strip(),
        aliases=aliases,
        kind=row["kind"],
        event_class=event_class,
        role=role,
        remediates=remediates,
        families=families,
        user_sid=row["user_sid"],
        user_name=row["user_name"],
        detail=row["detail"],
        leak_parser=parser,
        leak_body=row["leak_body"],
        leak_header=row["leak_header"],
        leak_image=row["leak_image"],
        leak_pid=row["leak_pid"],
        meaning=row["meaning"],
        line=line,
        pattern=pattern,
    )


def _shadowing(entries: list[CatalogEntry]) -> tuple[CatalogEntry, CatalogEntry] | None:
    """A row no event can reach because an earlier row of its provider and id takes all its
    events (same rule or no rule, and the same or any channel): (earlier, later)."""
    for i, later in enumerate(entries):
        for earlier in entries[:i]:
            if (earlier.provider.lower(), earlier.event_id) != (
                later.provider.lower(),
                later.event_id,
            ):
                continue
            same_channel = not earlier.channel or earlier.channel.lower() == later.channel.lower()
            covers = not earlier.text_match or earlier.text_match == later.text_match
            if same_channel and covers:
                return earlier, later
    return None


class Catalog:
    """Loaded rows, indexed by (lower-cased provider or alias, event id)."""

    def __init__(self, entries: tuple[CatalogEntry, ...]) -> None:
        self.entries = entries
        index: dict[tuple[str, int], list[CatalogEntry]] = {}
        for entry in entries:
            for name in entry.names:
                index.setdefault((name, entry.event_id), []).append(entry)
        self._index = {key: tuple(rows) for key, rows in index.items()}

    def lookup(
        self, provider: str | None, event_id: int | None, channel: str | None, text: str = ""
    ) -> CatalogEntry | None:
        """The row of an event, or None when it is no profile event.

        `event_id` may be the full 32-bit identifier: only its low 16 bits count. `text` is
        the event's values (`event_text`), read only by rows with a `text_match`.
        """
        if provider is None or event_id is None:
            return None
        for entry in self._index.get((provider.strip().lower(), event_id & 0xFFFF), ()):
            if entry.matches(channel, text):
                return entry
        return None

    def reads_text(self, provider: str | None, event_id: int | None) -> bool:
        """Whether `lookup` of this pair reads the event's text (a row with a `text_match`):
        `event_text` walks every value, so callers build it only then."""
        if provider is None or event_id is None:
            return False
        rows = self._index.get((provider.strip().lower(), event_id & 0xFFFF), ())
        return any(entry.pattern is not None for entry in rows)

    def pairs(self) -> list[tuple[str, int]]:
        """Every (lower-cased provider or alias, event id) with a row, sorted."""
        return sorted(self._index)


def load_catalog(source: Path | Traversable) -> Catalog:
    """Read and check a catalog file; CatalogError naming the line of the first bad row."""
    name = source.name
    reader = csv.reader(io.StringIO(source.read_text(encoding="utf-8"), newline=""))
    header = next(reader, None)
    if header is None:
        raise CatalogError(f"{name}: empty file")
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise CatalogError(
            f"{name} line 1: columns must be {', '.join(COLUMNS)}"
            f" (missing {missing or 'none'}, unknown or repeated {unknown or 'none'})"
        )
    entries: list[CatalogEntry] = []
    for values in reader:
        line = reader.line_num
        if not values:
            continue
        if len(values) != len(header):
            raise CatalogError(f"{name} line {line}: {len(values)} fields, want {len(header)}")
        try:
            entries.append(_entry(dict(zip(header, values, strict=True)), line))
        except ValueError as exc:
            raise CatalogError(f"{name} line {line}: {exc}") from None
    if not entries:
        raise CatalogError(f"{name}: no rows")
    clash = _shadowing(entries)
    if clash is not None:
        earlier, later = clash
        raise CatalogError(
            f"{name} line {later.line}: never reached, line {earlier.line} already takes every"
            f" {later.provider} {later.event_id} event it would match"
        )
    return Catalog(tuple(entries))


@functools.cache
def default_catalog() -> Catalog:
    """The packaged catalog, loaded on first use."""
    return load_catalog(resources.files(__package__ or "pipeline.normalize").joinpath(CSV_NAME))


def entries() -> tuple[CatalogEntry, ...]:
    return default_catalog().entries


def lookup(
    provider: str | None, event_id: int | None, channel: str | None, text: str = ""
) -> CatalogEntry | None:
    """`Catalog.lookup` on the packaged catalog."""
    return default_catalog().lookup(provider, event_id, channel, text)


def reads_text(provider: str | None, event_id: int | None) -> bool:
    """`Catalog.reads_text` on the packaged catalog."""
    return default_catalog().reads_text(provider, event_id)


def catalog_pairs() -> list[tuple[str, int]]:
    """The (lower-cased provider, event id) pairs to filter `events` on, aliases included."""
    return default_catalog().pairs()
