"""Text bodies that name the leaked handles: the 1530 DETAIL and UPHClean's reports.

1530 DETAIL (shared/domain.md): a count line naming the hive as `\\Registry\\User\\<SID>`
(`_Classes` for the classes hive), then one `Process N (<NT device path>) has opened key
\\REGISTRY\\USER\\<SID>[_CLASSES][\\subkey]` line per handle, so identical lines repeat.
The quirks a parser must survive are switches of `DetailQuirks`.

UPHClean: one `image.exe (PID)` line per process, its keys indented by two spaces as
`HKCU[\\subkey] (0xHANDLE)`, optionally ending in `error N` (1211), and with call-stack
logging on, frames indented by four spaces.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from pipeline.synth.offenders import CLASSES_ROOT, Leak

EN_DASH: Final = "\u2013"


@dataclass(frozen=True, slots=True)
class DetailQuirks:
    leading_space: bool = False  # " 3 user registry handles leaked from ..."
    count_delta: int = 0  # the count line disagrees with the lines shown
    trailing_break: bool = True


def registry_path(sid: str, key: str) -> str:
    """HKCU-relative key -> the kernel path a 1530 line shows."""
    root = CLASSES_ROOT.lower()
    if key.lower() == root or key.lower().startswith(root + "\\"):
        return f"\\REGISTRY\\USER\\{sid}_CLASSES{key[len(CLASSES_ROOT) :]}"
    return f"\\REGISTRY\\USER\\{sid}{key[len('HKCU') :]}"


def device_path(image: str, system_volume: int) -> str:
    """An image below the volume root as an NT device path (installers sit on a data volume)."""
    volume = system_volume + 2 if image.startswith("00.") else system_volume
    return f"\\Device\\HarddiskVolume{volume}\\{image}"


def detail_1530(
    sid: str, hive: str, leaks: list[Leak], system_volume: int, quirks: DetailQuirks
) -> str:
    total = sum(leak.handles for leak in leaks) + quirks.count_delta
    suffix = "_Classes" if hive == "classes" else ""
    head = f"{total} user registry handles leaked from \\Registry\\User\\{sid}{suffix}:"
    lines = [(" " if quirks.leading_space else "") + head]
    for leak in leaks:
        line = (
            f"Process {leak.pid} ({device_path(leak.image, system_volume)}) "
            f"has opened key {registry_path(sid, leak.key)}"
        )
        lines.extend([line] * leak.handles)
    return "\r\n".join(lines) + ("\r\n" if quirks.trailing_break else "")


def classic_detail(detail: str, en_dash: bool) -> str:
    """The single unnamed value of a classic-logged 1530: 'DETAIL - ' and the detail."""
    dash = EN_DASH if en_dash else "-"
    return f"DETAIL {dash} \r\n{detail}"


_FRAMES: Final = (
    "ADVAPI32!TrackObject+0xe",
    "ADVAPI32!RegOpenKeyExW+0x1a0",
    "ADVAPI32!RegOpenKeyExA+0xe1",
    "SHLWAPI!SHRegGetValueW+0x4b",
    "ole32!CoCreateInstance+0x37",
    "USER32!LoadStringW+0x2c",
)

UPHCLEAN_ERRORS: Final = (5, 6, 1450)


def uphclean_body(
    leaks: list[Leak], rng: random.Random, *, call_stacks: bool = False, errors: bool = False
) -> str:
    """UPHClean's list of processes and their keys (one key line per handle)."""
    lines: list[str] = []
    by_process: dict[tuple[str, int], list[Leak]] = {}
    for leak in leaks:
        by_process.setdefault((leak.image, leak.pid), []).append(leak)
    used: set[int] = set()
    for (image, pid), own in by_process.items():
        lines.append(f"{image.rsplit(chr(92), 1)[-1]} ({pid})")
        for leak in own:
            for _ in range(leak.handles):
                handle = rng.randrange(0x40, 0x1000) * 4
                while handle in used:
                    handle += 4
                used.add(handle)
                line = f"  {leak.key} (0x{handle:x})"
                if errors:
                    line += f" error {rng.choice(UPHCLEAN_ERRORS)}"
                lines.append(line)
                if call_stacks:
                    base = rng.randrange(0x1000, 0x7FFF) << 16
                    for depth, frame in enumerate(rng.sample(_FRAMES, 3)):
                        address = base + 0x1000 * depth + rng.randrange(0x100, 0xFFF)
                        lines.append(f"    0x{address:08x} {frame}")
    return "\r\n".join(lines) + "\r\n"


def uphclean_user(user_name: str, sid: str) -> str:
    return f"{user_name} ({sid})"
