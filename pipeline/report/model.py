"""What a report holds: plain values, filled by `gather`, read by every renderer.

Every text field that comes from the logs (hosts, users, processes, keys, paths, errors) is
attacker-controllable: renderers escape it for their format, nothing here is pre-escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Period:
    """The report covers events from `since` (None: all of them) up to `generated`."""

    since: datetime | None
    generated: datetime
    label: str


@dataclass(frozen=True)
class Coverage:
    records: int
    hosts: int
    files: int
    first_event: datetime | None
    last_event: datetime | None
    incidents: int
    incident_hosts: int
    ingest_problems: int


@dataclass(frozen=True)
class WeekCount:
    week: date
    event_class: str
    incidents: int


@dataclass(frozen=True)
class ClassTotal:
    event_class: str
    incidents: int
    hosts: int
    users: int
    unremediated: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class Offender:
    process_name: str
    key: str
    incidents: int
    hosts: int
    users: int
    first_seen: datetime
    last_seen: datetime

    @property
    def pair(self) -> tuple[str, str]:
        """Identity across runs: keys compare case-insensitively."""
        return (self.process_name, self.key.lower())


@dataclass(frozen=True)
class OffenderSide:
    """A process alone, or a key alone (`side`), over all the pairs it is part of."""

    side: str
    name: str
    incidents: int
    hosts: int
    users: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class HostTotal:
    host: str
    os_family: str | None
    incidents: int
    users: int
    classes: tuple[str, ...]
    last_incident: datetime


@dataclass(frozen=True)
class ClassGuidance:
    event_class: str
    os_family: str | None
    incidents: int
    advice: str
    reference: str


@dataclass(frozen=True)
class OffenderGuidance:
    applies_to: str
    match: str
    os_family: str | None
    advice: str
    reference: str
    pairs: int


@dataclass(frozen=True)
class ProblemFile:
    path: str
    format: str | None
    status: str
    records: int | None
    recovered: int | None
    skipped: int | None
    error: str | None
    ingested_at: datetime | None


@dataclass(frozen=True)
class PreviousRun:
    ran_at: datetime
    since: datetime | None


@dataclass(frozen=True)
class Changes:
    """What is new since the previous report run (None: this is the first run)."""

    previous: PreviousRun | None
    new_processes: tuple[str, ...] = ()
    new_keys: tuple[str, ...] = ()
    new_pairs: tuple[Offender, ...] = ()
    gone_pairs: tuple[tuple[str, str], ...] = ()

    @property
    def nothing_new(self) -> bool:
        return self.previous is not None and not self.new_pairs


@dataclass(frozen=True)
class ReportData:
    """Everything the warehouse answers for one period."""

    coverage: Coverage
    weeks: tuple[WeekCount, ...]
    classes: tuple[ClassTotal, ...]
    offenders: tuple[Offender, ...]
    processes: tuple[OffenderSide, ...]
    keys: tuple[OffenderSide, ...]
    hosts: tuple[HostTotal, ...]
    class_guidance: tuple[ClassGuidance, ...]
    offender_guidance: tuple[OffenderGuidance, ...]
    problem_files: tuple[ProblemFile, ...]


@dataclass(frozen=True)
class Report:
    period: Period
    data: ReportData
    changes: Changes
    top: int = 15
    warehouse: str = ""

    @property
    def top_offenders(self) -> tuple[Offender, ...]:
        return self.data.offenders[: self.top]

    @property
    def top_processes(self) -> tuple[OffenderSide, ...]:
        return self.data.processes[: self.top]

    @property
    def top_keys(self) -> tuple[OffenderSide, ...]:
        return self.data.keys[: self.top]
