"""Where a report goes: stdout, a named file, or a dated file inside a directory.

A directory (an existing one, or a path ending in '/') gets `hivewatch-report-DATE.EXT`
(UTC date); when that exists, `hivewatch-report-DATE-HHMMSS.EXT`, then `-2`, `-3`...: an
earlier report is never overwritten. A named file is replaced atomically (through a
symbolic link, the file it points to: file_output.py); either way the text is written
beside the target first, so a reader never sees half a report. A device or a pipe is
written to as it is.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.errors import HivewatchError, UsageError, os_reason
from pipeline.file_output import replacing
from pipeline.report.render import EXTENSIONS, FORMATS

PREFIX = "hivewatch-report-"


class ReportWriteError(HivewatchError):
    """The report could not be written where asked."""


@dataclass(frozen=True)
class Destination:
    path: Path
    directory: bool


def destination(raw: str | None) -> Destination | None:
    """The -o value as given (a trailing slash marks a directory to create); None: stdout."""
    if raw is None:
        return None
    path = Path(raw)
    return Destination(path, path.is_dir() or raw.endswith(("/", os.sep)))


def choose_format(fmt: str | None, output: Destination | None) -> str:
    """`fmt` if given; else the -o file's extension, html for a directory, md for stdout."""
    if fmt is not None:
        return fmt
    if output is None:
        return "md"
    if output.directory:
        return "html"
    suffix = output.path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise UsageError(f"-o {output.path}: give --format ({'|'.join(FORMATS)}) for this file name")


def candidates(directory: Path, when: datetime, fmt: str) -> list[Path]:
    extension = EXTENSIONS[fmt]
    day = directory / f"{PREFIX}{when:%Y-%m-%d}{extension}"
    timed = f"{PREFIX}{when:%Y-%m-%d-%H%M%S}"
    more = [directory / f"{timed}-{n}{extension}" for n in range(2, 1000)]
    return [day, directory / f"{timed}{extension}", *more]


def write_report(text: str, output: Destination, fmt: str, when: datetime) -> Path:
    """Write `text` to `output` (file or directory); the path written."""
    path = output.path
    try:
        if output.directory:
            path.mkdir(parents=True, exist_ok=True)
            return _write_new(text, path, candidates(path, when, fmt))
        with replacing(path) as out:
            out.write(text)
        return path
    except OSError as exc:
        raise ReportWriteError(f"cannot write the report to {path}: {os_reason(exc)}") from None


def _temporary(text: str, directory: Path) -> Path:
    temporary = directory / f".{PREFIX}{secrets.token_hex(6)}.tmp"
    with temporary.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    return temporary


def _write_new(text: str, directory: Path, names: list[Path]) -> Path:
    """Link the finished text to the first free name: never replaces an existing file."""
    temporary = _temporary(text, directory)
    try:
        for name in names:
            try:
                os.link(temporary, name)
            except FileExistsError:
                continue
            except OSError:  # no hard links on this file system: exclusive create instead
                try:
                    with name.open("x", encoding="utf-8") as out:
                        out.write(text)
                except FileExistsError:
                    continue
            return name
        raise ReportWriteError(f"no free report file name left in {directory} for today")
    finally:
        temporary.unlink(missing_ok=True)
