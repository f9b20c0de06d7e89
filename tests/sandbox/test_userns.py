"""The unprivileged isolation (bwrap-userns), as a user without root would get it.

The test runs ``userns_helper.py`` as an unprivileged uid (this machine's tests run as root, where
the sandbox uses bwrap-root instead). That uid cannot reach a virtualenv under /root, so the helper
runs on the system's Python of the same version with this checkout and the virtualenv's
site-packages on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from pathlib import Path

import pytest

from .conftest import BWRAP_MISSING, processes_left

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
UID = 1_999_999_000


def _setpriv(uid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


def _skip_reason() -> str | None:
    if BWRAP_MISSING:
        return "bubblewrap (bwrap) or tini is not installed: run bin/system-deps as root"
    if os.geteuid() != 0:
        return "needs root to switch to an unprivileged uid (as non-root, every test is userns)"
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} (the system Python of this version) is absent"
    probe = subprocess.run(
        [*_setpriv(UID), "bwrap", "--unshare-user", "--ro-bind", "/", "/", "true"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"unprivileged user namespaces are not available: {probe.stderr.strip()}"
    return None


def test_unprivileged_user_gets_the_same_containment() -> None:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    home = Path(tempfile.mkdtemp(prefix="sf-userns-home-"))
    os.chown(home, UID, UID)
    name = f"sf-sandbox-probe-{uuid.uuid4().hex}"
    probes = [f"/tmp/{name}", str(home / name), str(REPO / name)]
    site_packages = sysconfig.get_paths()["purelib"]
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{REPO}:{site_packages}",
    }
    try:
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            server.setblocking(False)
            port = server.getsockname()[1]
            helper = subprocess.run(
                [
                    *_setpriv(UID),
                    SYSTEM_PYTHON,
                    "-s",
                    str(Path(__file__).with_name("userns_helper.py")),
                    str(port),
                    *probes,
                ],
                capture_output=True,
                text=True,
                env=env,
                cwd=home,
                timeout=300,
            )
            assert helper.returncode == 0, helper.stderr
            with pytest.raises(BlockingIOError):
                server.accept()
        report = json.loads(helper.stdout)
        runs = report["runs"]
        assert report["isolation"] == "bwrap-userns"
        assert runs["shadow"]["reason"] == "error" and "PermissionError" in runs["shadow"]["stderr"]
        assert runs["network"]["reason"] == "error"
        assert runs["writes"]["reason"] == "ok"
        for probe in probes:
            assert not Path(probe).exists(), f"{probe} reached the host"
        assert runs["fork_bomb"]["reason"] == "timeout"
        assert 1 < int(runs["fork_bomb"]["stdout"]) <= 16 + 1
        assert runs["daemon"]["reason"] == "ok"
        assert runs["cpu"]["reason"] == "timeout" and runs["cpu"]["limit"] == "cpu"
        assert report["left"] == [], "processes of the sandbox outlived their runs"
        assert processes_left(f"never-{uuid.uuid4().hex}", UID) == []
    finally:
        shutil.rmtree(home)
