"""Find the input files, hash them and sniff their format: the input side of the ledger."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from pipeline.read.sniff import SNIFF_BYTES, Format, other_kind, sniff

NOT_A_LOG = "not an event log (.evtx, .evt or XML)"


@dataclass(frozen=True)
class Probe:
    """One offered input: its identity and format, or why it cannot be read at all."""

    path: str
    file_id: str | None  # sha256 of the content
    size_bytes: int | None
    format: Format | None
    error: str | None


def walk(inputs: Iterable[Path], exclude: Sequence[str] = ()) -> Iterator[Path]:
    """Files named, and files under directories named (recursively, in name order); each
    file once, however many names lead to it (a folder given twice, or by another
    spelling, a link), under the first name met.

    Symbolic links to folders are followed, each folder read once however many links lead
    to it (a link back up the tree is no loop). A path that does not exist, and a folder
    that cannot be listed, are yielded as they are: `probe` says why they cannot be read.

    `exclude` holds glob patterns (`excluded`) for what a folder holds; a file named
    itself is always offered, as in ripgrep or rsync. A trailing `/` (`old/`, as in a
    .gitignore) is dropped.
    """
    exclude = [pattern.rstrip("/") or pattern for pattern in exclude]
    seen: set[tuple[int, int]] = set()
    for root in inputs:
        for path in _walk_folder(root, exclude) if root.is_dir() else [root]:
            try:
                status = path.stat()
            except OSError:  # `probe` says why
                yield path
                continue
            if stat.S_ISREG(status.st_mode):
                if (status.st_dev, status.st_ino) in seen:
                    continue
                seen.add((status.st_dev, status.st_ino))
            yield path


def excluded(path: Path, root: Path, patterns: Sequence[str]) -> bool:
    """Whether a file or folder found under the folder `root` matches a pattern: by its
    name (`*.json`, `README*`), its path below `root` (`damaged/*`, `*/2019/*`) or its
    whole path as found (`/srv/eventlogs/old`). `*` also matches `/`; case counts. A folder
    that matches is not entered."""
    texts = (path.name, path.relative_to(root).as_posix(), path.as_posix())
    return any(fnmatchcase(text, p) for p in patterns for text in texts)


def _walk_folder(root: Path, exclude: Sequence[str]) -> Iterator[Path]:
    unlistable: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for folder, dirs, files in os.walk(
        root, followlinks=True, onerror=lambda e: unlistable.append(Path(e.filename))
    ):
        yield from unlistable
        unlistable.clear()
        status = os.stat(folder)
        if (status.st_dev, status.st_ino) in seen:
            dirs.clear()
            continue
        seen.add((status.st_dev, status.st_ino))
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not excluded(here / d, root, exclude))
        for name in sorted(files):
            if not excluded(here / name, root, exclude):
                yield here / name
    yield from unlistable


def probe(path: Path) -> Probe:
    """Hash and sniff one file; an unreadable path becomes a Probe with an error."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            os.listdir(path)  # a folder `walk` could not list fails here with the reason
            return Probe(str(path), None, None, None, "is a directory")
        if not stat.S_ISREG(mode):  # opening a named pipe would wait for a writer for ever
            return Probe(str(path), None, None, None, "not a regular file (a pipe or device)")
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
            handle.seek(0)
            # file_digest reads into one reused buffer: a third less CPU than hashing
            # fresh 1 MiB blocks, which the workers reading beside it can use.
            digest = hashlib.file_digest(handle, "sha256")
            size = handle.tell()
    except FileNotFoundError:
        return Probe(str(path), None, None, None, "no such file")
    except PermissionError:
        return Probe(str(path), None, None, None, "permission denied")
    except OSError as exc:
        return Probe(str(path), None, None, None, f"cannot read: {exc.strerror or exc}")
    file_id = digest.hexdigest()
    if size == 0:
        return Probe(str(path), file_id, 0, None, "empty file")
    found = sniff(head)
    if found is None:
        other = other_kind(head)
        reason = NOT_A_LOG if other is None else f"{NOT_A_LOG}: {other}"
        return Probe(str(path), file_id, size, None, reason)
    return Probe(str(path), file_id, size, found, None)
