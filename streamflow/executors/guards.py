"""Input protection: a run never writes over one of its inputs, nor reads back what it writes.

Checked before anything is opened (the output, the run directory, its lock), so a refused run
changes nothing on disk:

- the output *is* an input: the same file by real path (``./a`` and ``a``, symlinks) or by
  inode (hard links), among the files the inputs name (globs and directories expanded);
- the output would *become* an input: it lies inside an input directory, or matches an input
  glob (checked by pattern, since the output may not exist yet).

Both raise :class:`~streamflow.errors.UnsafeOutputError` naming the output and the input.
A run directory inside an input directory (or matched by an input glob) is allowed: the files
runs write there (the spool of a Parquet output, ``reports.json``) are left out of the input.
Sources that are not files (generated seed rows) are not concerned.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
from pathlib import Path

from streamflow.errors import UnsafeOutputError
from streamflow.executors.base import Job
from streamflow.io.sources import FileSource
from streamflow.store.rundir import own_files

__all__ = ["protect_inputs"]


def protect_inputs(job: Job) -> Job:
    """``job`` as it may run: refused when its output is or would become one of its inputs,
    and without the files of its own run directory among its inputs."""
    source = job.source
    if not isinstance(source, FileSource):
        return job
    output = job.output
    real = output.resolve()
    try:
        stat: os.stat_result | None = real.stat()
    except OSError:
        stat = None
    for path in source.files:
        if path == real or (stat is not None and _same_file(path, stat)):
            raise UnsafeOutputError(
                f"refusing to write {output}: it is the input {path}, which writing would "
                "destroy. Choose another --output"
            )
    for spec in map(Path, source.specs):
        if spec.is_dir():
            if real.is_relative_to(spec.resolve()):
                raise UnsafeOutputError(
                    f"refusing to write {output}: it is inside the input directory {spec}, "
                    "so a later run would read it as input. Choose an --output outside it"
                )
        elif not spec.exists() and _matches(str(spec), output):
            raise UnsafeOutputError(
                f"refusing to write {output}: it matches the input pattern {spec}, so a "
                "later run would read it as input. Choose an --output the pattern misses"
            )
    if job.run_dir is not None:
        own = own_files(job.run_dir, source.files)
        if own:
            job = dataclasses.replace(job, source=source.excluding(own))
    return job


def _same_file(path: Path, stat: os.stat_result) -> bool:
    try:
        other = path.stat()
    except OSError:
        return False
    return (other.st_dev, other.st_ino) == (stat.st_dev, stat.st_ino)


def _matches(pattern: str, output: Path) -> bool:
    """Whether the glob ``pattern`` (``**`` recursive, as inputs are expanded) matches
    ``output`` or a directory above it, by absolute path and by real path."""
    parts = Path(os.path.abspath(pattern)).parts
    for candidate in {Path(os.path.abspath(output)), output.resolve()}:
        for path in (candidate, *candidate.parents):
            if _match_parts(parts, path.parts):
                return True
    return False


def _match_parts(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match_parts(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    return (
        bool(parts)
        and fnmatch.fnmatchcase(parts[0], pattern[0])
        and _match_parts(pattern[1:], parts[1:])
    )
