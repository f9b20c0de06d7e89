"""Running untrusted, model-written Python: isolated, limited, and always cleaned up.

Contract. ``await Sandbox().run(code)`` runs ``code`` as a Python program and returns a
:class:`SandboxResult` that says why it stopped (ok, error, timeout, memory, output_limit, killed,
refused), its exit status, its capped stdout/stderr, and its wall and CPU seconds. By default
(``mode="strict"``) the program runs in bubblewrap namespaces: no network, the host file system
read-only with home directories and /run masked, a private work directory (its cwd) and small
private tmpfs mounts as the only writable places, as an unprivileged uid of its own, under CPU,
address-space, process, file-size, open-file, wall-clock and output limits. When a run returns,
every process it started is dead and its work directory is removed; nothing it wrote outside
that directory reaches the host.

A machine that cannot give that isolation (no bubblewrap, namespaces refused) makes ``Sandbox``
raise :class:`SandboxUnavailable` naming what is missing and how to install it; it never falls back
silently. ``mode="rlimits-only"`` is the named, UNSAFE alternative (limits and a private work
directory, but the network and the host's world-writable places stay reachable).

Modules: ``sandbox`` (the async API), ``isolation`` (how isolation is chosen and the command line),
``process`` (the supervisor: output caps, wall clock, killing, reaping), ``workdir`` (the private
directory), ``limits`` and ``result`` (the vocabulary).
"""

from streamflow.sandbox.errors import SandboxUnavailable
from streamflow.sandbox.isolation import INSIDE_WORKDIR, Isolation, Mode
from streamflow.sandbox.limits import Limits
from streamflow.sandbox.result import SandboxResult, StopReason
from streamflow.sandbox.sandbox import Sandbox

__all__ = [
    "INSIDE_WORKDIR",
    "Isolation",
    "Limits",
    "Mode",
    "Sandbox",
    "SandboxResult",
    "SandboxUnavailable",
    "StopReason",
]
