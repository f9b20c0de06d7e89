"""The resource limits of one sandboxed run.

Every limit is enforced by the kernel or by the sandbox's supervisor, never by the sandboxed code:
CPU time, address space, processes, file size and open files are rlimits set before the program
starts; the wall-clock limit and the output caps are enforced from outside while the program runs;
the private tmpfs mounts have a size. What rlimits count is per process (CPU time, address space,
file size, open files) or per user (processes, which includes threads): the wall-clock limit is what
bounds a run as a whole.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Limits"]

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Limits of one run; the defaults suit a short test program (raise them for a pipeline)."""

    wall_seconds: float = 30.0
    """Wall-clock time of the whole run; past it every process of the sandbox is killed."""
    cpu_seconds: float = 10.0
    """CPU time of each process (RLIMIT_CPU, rounded up to whole seconds): SIGXCPU, then SIGKILL."""
    memory_bytes: int = 1024 * MiB
    """Address space of each process (RLIMIT_AS): a larger allocation fails (MemoryError)."""
    processes: int = 64
    """Processes and threads of the sandbox user (RLIMIT_NPROC): fork fails past it."""
    file_bytes: int = 64 * MiB
    """Largest file a process may write (RLIMIT_FSIZE): a longer write fails (EFBIG)."""
    open_files: int = 256
    """Open file descriptors of each process (RLIMIT_NOFILE)."""
    output_bytes: int = 1 * MiB
    """Kept of stdout and of stderr each; a program that writes more is stopped (output_limit)."""
    tmpfs_bytes: int = 64 * MiB
    """Size of each private in-memory mount (/tmp, /var/tmp, $HOME, /dev/shm)."""
    collect_bytes: int = 64 * MiB
    """Total size of the files read back from the work directory after a run (``collect=``)."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{f.name} must be a positive number, not {value!r}")

    def replace(self, **changes: Any) -> Limits:
        """A copy with some limits changed."""
        return dataclasses.replace(self, **changes)

    @property
    def cpu_rlimit(self) -> int:
        """RLIMIT_CPU counts whole seconds."""
        return max(1, math.ceil(self.cpu_seconds))
