"""An output file that appears whole or not at all: reports and query results (`-o FILE`).

The text goes to a hidden temporary file beside the target, is flushed to disk, and is
renamed over the target once complete, so a reader never sees half of it and a failure
leaves an earlier file as it was. Through a symbolic link the file it points to is replaced
and the link stays; an existing file keeps its permission bits. A device or a pipe
(`/dev/null`, `>(cmd)`), and `/dev/stdout` or `/dev/fd/N` whatever they lead to, are
written to as they are: they cannot be replaced.
"""

from __future__ import annotations

import os
import secrets
import stat
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
    temporary = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        with temporary.open("x", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            os.chmod(temporary, stat.S_IMODE(target.stat().st_mode))
        os.replace(temporary, target)
    finally:
        if temporary.exists():  # the block failed, or the rename did
            temporary.unlink()


def _in_place(path: Path) -> bool:
    """A device or a pipe, or a name for an open descriptor (`/dev/stdout`, `/dev/fd/N`,
    `/proc/self/fd/N`): written to as it is, whatever it leads to. Renaming over what
    `/dev/stdout` points to would replace the file a shell redirected stdout to."""
    if not path.exists():
        return False
    return not path.is_file() or path.absolute().parts[1:2] in (("dev",), ("proc",))
