"""Run by test_userns.py as an unprivileged uid: hostile programs in a bwrap-userns sandbox.

Prints one JSON object: the isolation, each run's reason and output, and the processes of this uid
(other than this one) still alive after the runs.
"""

from __future__ import annotations

import json
import os
import sys

import anyio
import psutil

from streamflow.sandbox import Limits, Sandbox

FORK_BOMB = """
import os, time
first = os.getpid()
start = time.monotonic()
while time.monotonic() - start < 1.0:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)
if os.getpid() == first:
    print(sum(name.isdigit() for name in os.listdir("/proc")), flush=True)
time.sleep(600)
"""

DAEMON = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
os.wait()
"""


async def main(port: int, probe_paths: list[str]) -> None:
    sandbox = Sandbox(Limits(wall_seconds=20, processes=16, cpu_seconds=5))
    writes = "\n".join(
        f"try:\n    open({p!r}, 'w').write('x')\nexcept OSError:\n    pass" for p in probe_paths
    )
    runs = {
        "shadow": await sandbox.run("print(open('/etc/shadow').read())"),
        "network": await sandbox.run(
            f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5)"
        ),
        "writes": await sandbox.run(writes),
        "fork_bomb": await sandbox.run(FORK_BOMB, timeout=8),
        "daemon": await sandbox.run(DAEMON),
        "cpu": await sandbox.run(
            "while True:\n    pass", limits=sandbox.limits.replace(cpu_seconds=1, wall_seconds=60)
        ),
    }
    me = os.getpid()
    mine = [
        p.pid
        for p in psutil.process_iter(["uids", "pid", "status"])
        if p.info["uids"].real == os.getuid()
        and p.info["pid"] != me
        and p.info["status"] != psutil.STATUS_ZOMBIE
    ]
    report = {
        "isolation": str(sandbox.isolation),
        "runs": {
            name: {
                "reason": str(r.reason),
                "limit": r.limit,
                "stdout": r.stdout,
                "stderr": r.stderr,
            }
            for name, r in runs.items()
        },
        "left": mine,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]), sys.argv[2:])
