"""The private work directory: safe names, private mode, read-back without symlinks, removal."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from streamflow.sandbox.workdir import collect_files, create_workdir, relative_name, remove_workdir


def test_relative_names_only() -> None:
    assert relative_name("a/b.txt") == "a/b.txt"
    assert relative_name("./a") == "a"
    for bad in ("/etc/passwd", "../x", "a/../../x", "", ".", "a\0b"):
        with pytest.raises(ValueError):
            relative_name(bad)


def test_created_private_with_its_files_and_removed(tmp_path: Path) -> None:
    workdir = create_workdir(str(tmp_path), {"a/b.txt": "x", "c.bin": b"\0\1"}, owner=None)
    assert stat.S_IMODE(os.stat(workdir).st_mode) == 0o700
    assert Path(workdir, "a/b.txt").read_text() == "x"
    assert Path(workdir, "c.bin").read_bytes() == b"\0\1"
    remove_workdir(workdir)
    assert not Path(workdir).exists()


def test_owned_by_the_run_uid(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("chown needs root")
    workdir = create_workdir(str(tmp_path), {"a/b.txt": "x"}, owner=2_000_000_321)
    try:
        for path in (workdir, f"{workdir}/a", f"{workdir}/a/b.txt"):
            assert os.stat(path).st_uid == 2_000_000_321
        assert (os.stat(workdir).st_gid, stat.S_IMODE(os.stat(workdir).st_mode)) == (0, 0o750)
    finally:
        remove_workdir(workdir)


def test_removal_copes_with_unwritable_directories(tmp_path: Path) -> None:
    workdir = create_workdir(str(tmp_path), {"locked/file": "x"}, owner=None)
    os.chmod(f"{workdir}/locked", 0)
    remove_workdir(workdir)
    assert not Path(workdir).exists()


def test_collect_never_follows_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    workdir = create_workdir(str(tmp_path), {"out/a.txt": "mine"}, owner=None)
    try:
        os.symlink(outside, f"{workdir}/out/b.txt")
        os.symlink(tmp_path, f"{workdir}/linked-dir")
        files, complete = collect_files(workdir, ["*.txt"], 1000)
        assert files == {"out/a.txt": b"mine"} and complete
    finally:
        remove_workdir(workdir)
