"""Events 1545 / 1552 (Windows 10 1803+): another process has the user's hive loaded.

The event names only the process (InterferingImageName, InterferingPID), not a key, so
the leak is the hive root: key 'HKCU', hive 'user', one handle.
"""

from __future__ import annotations

from pipeline.normalize.leaks import MAX_SNIPPET, Leak, LeakReport, read_int
from pipeline.normalize.leaks.keys import HKCU, USER, process_name


def parse_lock(image: str | None, pid: str | int | None) -> LeakReport:
    """InterferingImageName and InterferingPID -> a report of one leak (none without an image)."""
    problems: list[str] = []
    process_id = _read_pid(pid)
    if pid is None:
        problems.append("no InterferingPID")
    elif process_id is None:
        problems.append(f"unreadable InterferingPID: {str(pid)[:MAX_SNIPPET]}")
    shown = (image or "").strip()
    if not shown:
        problems.append("no InterferingImageName")
        return LeakReport(None, None, None, (), tuple(problems))
    leak = Leak(USER, process_id, shown, process_name(shown), HKCU, 1)
    return LeakReport(None, None, None, (leak,), tuple(problems))


def _read_pid(pid: str | int | None) -> int | None:
    if pid is None or isinstance(pid, bool):
        return None
    if isinstance(pid, int):
        return pid if pid >= 0 else None
    return read_int(pid)
