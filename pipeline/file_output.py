"""An output file that appears whole or not at all: reports and query results (`-o FILE`).

The text goes to a hidden temporary file beside the target, is flushed to disk, and is
renamed over the target once complete, so a reader never sees half of it and a failure
leaves an earlier file as it was. Through a symbolic link the file it points to is replaced
and the link stays; an existing file keeps its permission bits, and its owner where the
writer may give it (root). A device or a pipe (`/dev/null`, `>(cmd)`), and `/dev/stdout` or
`/dev/fd/N` whatever they lead to, are written to as they are: they cannot be replaced.

Where no rename can replace the file but it can be written to, its content is replaced in
place, once the new text is complete: a writable file in a folder the writer may not create
files in (a report into a web root it does not own), or a file that cannot be renamed over
(one bind-mounted into a container: EBUSY). A failure while the text is made still leaves
the earlier file as it was; a reader during the copy may see part of it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


@contextmanager
def replacing(path: Path) -> Iterator[TextIO]:
    """A text stream whose content becomes `path` when the block ends without an error.
    Raises OSError as the file system does (a folder in the way, no space, no permission)."""
    if _in_place(path):
        # appending: `/dev/stdout` redirected to a file reopens that file, and "w" would
        # truncate what the shell's `>>` keeps; a device or a pipe does not mind
        with path.open("a", encoding="utf-8", newline="") as out:
            yield out
        return
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    name = f".{target.name}.{secrets.token_hex(4)}.tmp"
    beside = os.access(target.parent, os.W_OK | os.X_OK) or not _writable_file(target)
    temporary = (target.parent if beside else Path(tempfile.gettempdir())) / name
    try:
        with temporary.open("x", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if not beside:
            _copy_into(temporary, target)
            return
        if target.exists():
            _keep_mode_and_owner(temporary, target.stat())
        try:
            os.replace(temporary, target)
        except OSError as exc:
            if exc.errno != errno.EBUSY or not _writable_file(target):
                raise
            _copy_into(temporary, target)
    finally:
        if temporary.exists():  # the block failed, the rename did, or the copy was made
            temporary.unlink()


def _writable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.W_OK)


def _keep_mode_and_owner(temporary: Path, was: os.stat_result) -> None:
    os.chmod(temporary, stat.S_IMODE(was.st_mode))
    with contextlib.suppress(PermissionError):  # only root may give a file away
        os.chown(temporary, was.st_uid, was.st_gid)


def _copy_into(source: Path, target: Path) -> None:
    """`source`'s bytes as `target`'s content, in place: same file, owner and mode."""
    with source.open("rb") as text, target.open("r+b") as out:
        shutil.copyfileobj(text, out)
        out.truncate()
        out.flush()
        os.fsync(out.fileno())


def _in_place(path: Path) -> bool:
    """A device or a pipe, or a name for an open descriptor (`/dev/stdout`, `/dev/fd/N`,
    `/proc/self/fd/N`): written to as it is, whatever it leads to. Renaming over what
    `/dev/stdout` points to would replace the file a shell redirected stdout to."""
    if not path.exists():
        return False
    return not path.is_file() or path.absolute().parts[1:2] in (("dev",), ("proc",))
