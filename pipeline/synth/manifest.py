"""fixtures/README.md: how the committed fleet was made, and the sha256 of every file."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

README: Final = "README.md"

# The committed fleet: 8 hosts are the smallest fleet with every OS generation and delivery
# (hosts.PLAN); 2 days give UPHClean's late install a before and an after, and keep the
# whole directory under 2 MB.
FIXTURE_ARGS: Final = {"hosts": 8, "days": 2, "seed": 1, "damage": True}
_FLAGS: Final = "--hosts 8 --days 2 --seed 1 --damage"
COMMAND: Final = f".venv/bin/hivewatch fixtures fixtures {_FLAGS} --readme"

_INTRO: Final = """# The committed fixture fleet

A small synthetic fleet of Windows event logs, written by `pipeline/synth` (issue 3), with
its ground truth in `truth.json`. It covers every OS generation (NT4, 2000, XP, 2003,
Windows 7, 10, 11, Server 2016), every delivery (`.evtx`, `.evt`, both XML export shapes,
a Windows Event Forwarding log holding several computers), every profile event of
`shared/domain.md` and the 1530 DETAIL / UPHClean body quirks, overlapping exports, and
damaged copies under `damaged/`. Nothing here comes from a real machine.

Regenerate (byte-identical; `tests/synth/test_fixtures.py` checks it):

    {command}

## sha256

| file | bytes | sha256 |
|---|---:|---|
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fleet_files(root: Path) -> list[Path]:
    """Every file of the fleet under `root`, README excluded, in a stable order."""
    return sorted(
        (p for p in root.rglob("*") if p.is_file() and p.name != README),
        key=lambda p: p.relative_to(root).as_posix(),
    )


def render(root: Path) -> str:
    rows = [
        f"| `{p.relative_to(root).as_posix()}` | {p.stat().st_size} | `{sha256(p)}` |"
        for p in fleet_files(root)
    ]
    return _INTRO.format(command=COMMAND) + "\n".join(rows) + "\n"


def parse_hashes(readme: str) -> dict[str, str]:
    """{relative path: sha256} from a README written by `render`."""
    out: dict[str, str] = {}
    for line in readme.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and len(cells[2]) == 64:
            out[cells[0]] = cells[2]
    return out
