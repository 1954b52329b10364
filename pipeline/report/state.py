"""Report runs kept in the warehouse, so the next report can say what is new.

Each run is recorded in `report_state.json` inside the warehouse directory: when it ran,
the period start, the format and output, and every (process, key) pair of the period. The
file is replaced atomically (written beside, fsynced, renamed over), under an flock of its
own (`report_state.lock`), so two reports never lose each other's run and an ingest, which
never touches this file, is never blocked by a report. Keys compare case-insensitively.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from pipeline.errors import HivewatchError
from pipeline.report.model import Changes, Offender, PreviousRun

STATE = "report_state.json"
STATE_LOCK = "report_state.lock"
SCHEMA = 1
LOCK_WAIT_SECONDS = 30.0


class ReportStateError(HivewatchError):
    """report_state.json cannot be read or written."""


@dataclass(frozen=True)
class RunRecord:
    ran_at: datetime
    since: datetime | None
    format: str
    output: str | None
    pairs: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "ran_at": self.ran_at.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "format": self.format,
            "output": self.output,
            "pairs": [list(pair) for pair in self.pairs],
        }

    @classmethod
    def from_json(cls, item: Any) -> RunRecord:
        since = item["since"]
        pairs = item["pairs"]
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in pairs
        ):
            raise ValueError("pairs must be a list of [process, key]")
        output = item["output"]
        return cls(
            ran_at=datetime.fromisoformat(str(item["ran_at"])),
            since=datetime.fromisoformat(str(since)) if since is not None else None,
            format=str(item["format"]),
            output=str(output) if output is not None else None,
            pairs=tuple((p[0], p[1]) for p in pairs),
        )


def load_runs(root: Path) -> list[RunRecord]:
    """The recorded runs, oldest first; none when no report ran yet."""
    path = root / STATE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ReportStateError(f"cannot read {path}: {exc.strerror}") from None
    try:
        document = orjson.loads(raw)
        if document.get("schema") != SCHEMA:
            raise ValueError(f"schema {document.get('schema')!r}, want {SCHEMA}")
        return [RunRecord.from_json(item) for item in document["runs"]]
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ReportStateError(
            f"{path} is damaged ({exc}); move it away to start the report history afresh"
        ) from None


def compare(previous: RunRecord | None, offenders: Sequence[Offender]) -> Changes:
    """The processes, keys and pairs of `offenders` that the previous run did not show."""
    if previous is None:
        return Changes(previous=None)
    before = {(p, k.lower()) for p, k in previous.pairs}
    processes = {p for p, _ in before}
    keys = {k for _, k in before}
    now = {o.pair for o in offenders}
    new_pairs = tuple(o for o in offenders if o.pair not in before)
    return Changes(
        previous=PreviousRun(ran_at=previous.ran_at, since=previous.since),
        new_processes=tuple(sorted({o.process_name for o in new_pairs} - processes)),
        new_keys=tuple(
            sorted({o.key for o in new_pairs if o.key.lower() not in keys}, key=lambda k: k.lower())
        ),
        new_pairs=new_pairs,
        gone_pairs=tuple(sorted(p for p in previous.pairs if (p[0], p[1].lower()) not in now)),
    )


def record_run(root: Path, run: RunRecord) -> None:
    """Append `run` to the state file, atomically, under the state lock."""
    with _locked(root):
        runs = [*load_runs(root), run]
        document = {"schema": SCHEMA, "runs": [r.to_json() for r in runs]}
        final = root / STATE
        temporary = root / (STATE + ".new")
        try:
            with temporary.open("wb") as out:
                out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, final)
        except OSError as exc:
            raise ReportStateError(f"cannot write {final}: {exc.strerror}") from None


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    with (root / STATE_LOCK).open("a") as lock:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ReportStateError(
                        f"another report is recording its run in {root}"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
