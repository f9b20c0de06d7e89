"""The private work directory of one run: created with the given files, read back, removed.

It is a fresh ``mkdtemp`` directory (mode 0700) on the host; when the run has a uid of its own it
belongs to that uid (and group root, mode 0750); inside the sandbox it is the program's cwd.
Reading files back happens after every process of the run is dead, and only regular files that
really lie inside the directory are read (no symlink is followed), so a program cannot make the
supervisor read a host file for it.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

__all__ = ["collect_files", "create_workdir", "relative_name", "remove_workdir"]


def relative_name(name: str) -> str:
    """``name`` as a clean relative path inside the work directory, or ValueError."""
    path = PurePosixPath(name)
    if not name or "\0" in name or path.is_absolute() or not path.parts or ".." in path.parts:
        raise ValueError(f"sandbox file name {name!r} must be a relative path without '..'")
    return str(path)


def create_workdir(root: str | None, files: Mapping[str, bytes | str], owner: int | None) -> str:
    """A new private directory under ``root`` (the system temp dir by default) holding ``files``."""
    workdir = tempfile.mkdtemp(prefix="streamflow-sandbox-", dir=root)
    try:
        for name, content in files.items():
            target = os.path.join(workdir, relative_name(name))
            os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
            data = content.encode() if isinstance(content, str) else bytes(content)
            with open(target, "wb") as f:
                f.write(data)
        if owner is not None:
            for dirpath, dirnames, filenames in os.walk(workdir):
                os.chown(dirpath, owner, owner)
                for entry in (*dirnames, *filenames):
                    os.chown(os.path.join(dirpath, entry), owner, owner, follow_symlinks=False)
            # Group root may enter (mode 0750): the sandbox's init, root without capabilities,
            # changes into it before dropping to ``owner``; other users of the host may not.
            os.chown(workdir, owner, 0)
            os.chmod(workdir, 0o750)
    except BaseException:
        remove_workdir(workdir)
        raise
    return workdir


def collect_files(
    workdir: str, patterns: Sequence[str], max_total: int
) -> tuple[dict[str, bytes], bool]:
    """Regular files whose relative path matches one of ``patterns`` (fnmatch; ``*`` crosses
    ``/``), in path order, while they fit in ``max_total`` bytes; and whether all of them fit.
    Symlinks are neither followed nor read."""
    if not patterns:
        return {}, True
    found: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(workdir, followlinks=False):
        dirnames.sort()
        for filename in sorted(filenames):
            path = os.path.join(dirpath, filename)
            name = os.path.relpath(path, workdir)
            if not any(fnmatch.fnmatchcase(name, p) for p in patterns):
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                continue  # a symlink, or gone
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    continue
                data = f.read(max_total - total + 1)
            if total + len(data) > max_total:
                return found, False
            found[name] = data
            total += len(data)
    return found, True


def remove_workdir(workdir: str) -> None:
    """Remove the directory and everything in it, whatever modes the program left behind."""

    def make_writable(_func: object, path: str, _exc: object) -> None:
        parent = os.path.dirname(path)
        with contextlib.suppress(OSError):
            os.chmod(parent, 0o700)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)

    shutil.rmtree(workdir, onerror=make_writable)
