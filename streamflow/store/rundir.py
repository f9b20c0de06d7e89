"""A run directory's records in the run store: manifest, checkpoint, status, progress, requeue.

What a run directory *means* (open, resume, commit at each barrier, retry requeued rows, finish)
is the local executor's protocol, described and driven in :mod:`streamflow.executors.local`.
This module keeps the records that protocol reads and writes, and decides from them alone
whether a run may use a directory: fresh, resumed, continued incrementally, or refused. It
knows nothing of plans, operators or file formats: steps are labels and fingerprints, the
output is a path, inputs are the records :mod:`streamflow.io.identity` keeps.

One process at a time: :meth:`RunDirectory.open` takes an exclusive ``flock`` on the file
``lock`` in the directory and holds it until :meth:`RunDirectory.close`. The OS releases it when
the process dies, however it dies, so a SIGKILLed run never blocks the next one; a second run
meanwhile is refused, naming the holder's pid. Readers (``streamflow status``, ``deadletters``)
take no lock: LMDB readers never block the writer.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from streamflow.errors import StreamflowError
from streamflow.store.deadletters import DeadLetter
from streamflow.store.runstore import RunStore

SPOOL_NAME = "output.spool.jsonl"
"""Where a run whose output cannot be continued at a byte offset writes, until it finishes."""
LOCK_NAME = "lock"
"""The file a live run holds an exclusive ``flock`` on; it holds the run's pid."""
REPORTS_NAME = "reports.json"
"""Where a finished run writes its dataset evaluators' reports."""
OWN_NAMES = frozenset({"store", SPOOL_NAME, LOCK_NAME, REPORTS_NAME})
"""What a run writes in its run directory: never read as input (see ``is_own_file``)."""


class RunDirectoryError(StreamflowError):
    """The run directory holds a run this one may not continue without ``--resume`` or
    ``--overwrite``."""


class RunDirectoryBusy(RunDirectoryError):
    """Another live process holds the run directory."""


class ResumeNotice(UserWarning):
    """What a resumed run will redo (operators whose configuration changed)."""


class Checkpoint(msgspec.Struct):
    number: int
    position: dict[str, int]
    output_bytes: int
    rows_written: int
    header: list[str] | None = None
    states: dict[str, Any] = {}
    final: bool = False
    at: float = 0.0


@dataclass
class RunDirectory:
    path: Path
    store: RunStore
    output: Path
    checkpoint: Checkpoint | None
    """Where this run (or its next pass) starts from (None: from the beginning)."""
    last: Checkpoint | None = None
    """The last checkpoint this process committed."""
    lock: int | None = None
    """The descriptor holding the directory's lock (closed by :meth:`close`)."""

    @classmethod
    def open(
        cls,
        path: Path,
        steps: Sequence[str],
        fingerprints: Sequence[str],
        output: Path,
        *,
        resume: bool = False,
        overwrite: bool = False,
    ) -> RunDirectory:
        """Decide how a run of ``steps`` (labels, with their fingerprints) uses ``path``:
        fresh, resumed, incremental, or refused with :class:`RunDirectoryError`.

        The directory is checked, then locked (:class:`RunDirectoryBusy` while another run holds
        it), so nothing is read, deleted or written while another process runs there.
        """
        check_run_dir(path)
        lock = hold_lock(path)
        try:
            if overwrite:
                _discard(path, output)
            store = RunStore(path / "store")
        except BaseException:
            os.close(lock)
            raise
        try:
            checkpoint = _decide(path, store, steps, fingerprints, output, resume)
            store.put_meta(
                manifest={
                    "steps": list(steps),
                    "fingerprints": list(fingerprints),
                    "output": str(output.resolve()),
                    "updated": time.time(),
                }
            )
        except BaseException:
            store.close()
            os.close(lock)
            raise
        return cls(path, store, output, checkpoint, lock=lock)

    @property
    def fingerprints(self) -> list[str]:
        return list(self.store.get_meta("manifest")["fingerprints"])

    @property
    def spool(self) -> Path:
        return self.path / SPOOL_NAME

    @property
    def inputs(self) -> dict[str, Any]:
        """What earlier runs recorded of their input files, by file id
        (:class:`streamflow.io.identity.InputRecord`)."""
        return dict(self.store.get_meta("inputs") or {})

    def record_inputs(self, records: dict[str, Any]) -> None:
        self.store.put_meta(inputs=records)

    def record_checkpoint(
        self, checkpoint: Checkpoint, *, requeue: Sequence[DeadLetter] | None = None
    ) -> None:
        """Record (and sync) ``checkpoint``: from now on a resumed run starts there.

        ``requeue``: the requeued dead letters still to retry after this checkpoint (a retry of
        requeued rows commits its checkpoint and takes its rows off the queue in one
        transaction, so a crash retries each row again or not at all).
        """
        also: dict[str, Any] = {}
        if requeue is not None:
            also["requeue"] = [msgspec.to_builtins(d) for d in requeue]
            also["requeue_forgotten"] = [[d.operator, d.id] for d in requeue]
        self.store.commit_checkpoint(msgspec.to_builtins(checkpoint), **also)
        self.last = checkpoint

    def advance(self) -> None:
        """A pass (the retry of requeued rows) ended: the next one starts where it stopped."""
        if self.last is not None:
            self.checkpoint = self.last

    def take_requeued(self, steps: Sequence[str]) -> list[tuple[int, list[DeadLetter]]]:
        """The dead letters ``streamflow deadletters --requeue`` queued, by failing step (its
        index in ``steps``), each group in input order.

        The failing step's stored result for each row is forgotten, once, so the retry really
        calls it again (a retry killed half-way keeps what it committed). Each group leaves the
        queue in the transaction of its retry's checkpoint (:meth:`record_checkpoint`): a crash
        before it retries the group again from the same checkpoint, never after it.
        """
        queued = [msgspec.convert(d, DeadLetter) for d in self.store.get_meta("requeue") or []]
        forgotten = {tuple(key) for key in self.store.get_meta("requeue_forgotten") or []}
        index = {label: i for i, label in enumerate(steps)}
        groups: dict[int, list[DeadLetter]] = {}
        for letter in queued:
            if letter.operator in index:
                groups.setdefault(index[letter.operator], []).append(letter)
        fps = self.fingerprints
        for k, letters in groups.items():
            letters.sort(key=lambda d: _natural(d.id))  # back in input order
            fresh = [d.id for d in letters if (d.operator, d.id) not in forgotten]
            self.store.delete_results(fps[k], fresh)
        self.store.put_meta(requeue_forgotten=[[d.operator, d.id] for d in queued])
        return sorted(groups.items())

    def clear_requeued(self) -> None:
        self.store.put_meta(requeue=[], requeue_forgotten=[])

    def mark(self, state: str, **info: Any) -> None:
        self.store.put_meta(status={"state": state, "pid": os.getpid(), "at": time.time(), **info})

    def save_progress(self, snapshot: dict[str, Any]) -> None:
        """Record the run's statistics (``RunStats.snapshot()``) for ``streamflow status``."""
        self.store.put_meta(progress={**snapshot, "at": time.time(), "pid": os.getpid()})

    def close(self) -> None:
        self.store.close()
        if self.lock is not None:
            os.close(self.lock)  # releases the flock
            self.lock = None


def is_own_file(run_dir: Path, path: Path) -> bool:
    """Whether ``path`` (resolved) is one of the files runs write in ``run_dir`` (resolved)."""
    return path.is_relative_to(run_dir) and path.relative_to(run_dir).parts[:1] in {
        (name,) for name in OWN_NAMES
    }


def own_files(run_dir: Path, paths: Iterable[Path]) -> list[Path]:
    """Those of ``paths`` (resolved input files) that are files runs write in ``run_dir``."""
    root = run_dir.resolve()
    return [path for path in paths if is_own_file(root, path)]


def hold_lock(path: Path) -> int:
    """Lock run directory ``path`` (created if missing) for this process: an exclusive
    ``flock`` on its ``lock`` file, which records our pid. Returns the descriptor; closing it
    (or the process dying) releases the lock."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise RunDirectoryError(
            f"{path}: cannot use it as a run directory: {exc.strerror or exc}"
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise RunDirectoryBusy(
            f"{path} is in use by another streamflow process (pid {holder}): one run at a time "
            f"per run directory. Wait for it to end or stop it; `streamflow status {path}` "
            "shows its progress meanwhile"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def check_run_dir(path: Path) -> None:
    """Refuse a run directory path that is a file, or a symbolic link to nowhere."""
    if path.is_symlink() and not path.exists():
        raise RunDirectoryError(
            f"{path} is a symbolic link to {os.readlink(path)}, which does not exist: "
            "create its target, or give --run-dir a directory"
        )
    if path.exists() and not path.is_dir():
        raise RunDirectoryError(
            f"{path} is a file, not a run directory: give --run-dir a directory"
        )


def _discard(path: Path, output: Path) -> None:
    """``--overwrite``: delete the run's store and spool, then its output; nothing else.

    Nothing is deleted through a symbolic link out of the run directory, and a failed deletion
    stops here (before the output is touched) with a :class:`RunDirectoryError` naming it.
    """
    store = path / "store"
    if store.is_symlink():
        raise RunDirectoryError(
            f"{store} is a symbolic link (to {os.readlink(store)}): --overwrite deletes only what "
            "is inside the run directory; remove the link, or use another --run-dir"
        )
    try:
        if store.exists():
            shutil.rmtree(store)
        (path / SPOOL_NAME).unlink(missing_ok=True)  # a link is removed, never followed
        output.unlink(missing_ok=True)
    except OSError as exc:
        where = exc.filename or store
        raise RunDirectoryError(
            f"--overwrite could not delete {where} ({exc.strerror or exc}): the run directory "
            "was not started over; fix the permissions, or use another --run-dir"
        ) from exc


def requeue_dead_letters(run_dir: Path, step: str | None = None) -> int:
    """Move dead letters (all, or one step's) to the queue the next run in ``run_dir`` retries.

    Rows from the source itself (unreadable records) cannot be retried and stay. Refused
    (:class:`RunDirectoryBusy`) while a run holds the directory.
    """
    lock = hold_lock(run_dir)
    try:
        store = RunStore(run_dir / "store")
        try:
            return store.requeue(
                lambda d: d["operator"] != "source" and step in (None, d["operator"])
            )
        finally:
            store.close()
    finally:
        os.close(lock)


def _decide(
    path: Path,
    store: RunStore,
    steps: Sequence[str],
    fingerprints: Sequence[str],
    output: Path,
    resume: bool,
) -> Checkpoint | None:
    """The checkpoint a run starts from, after checking the run ``path`` holds may go on."""
    manifest = store.get_meta("manifest")
    checkpoint = _load(store.get_meta("checkpoint"))
    if manifest is None:
        return checkpoint
    status = store.get_meta("status") or {}
    changed = [
        label
        for label, fp in zip(steps, fingerprints, strict=True)
        if fp not in manifest["fingerprints"]
    ]
    if Path(manifest["output"]) != output.resolve():
        raise RunDirectoryError(
            f"{path} holds a run writing {manifest['output']}, not {output.resolve()}: "
            "use the same --output, or --overwrite to start over"
        )
    unfinished = status.get("state") != "finished"
    if (changed or unfinished) and not resume:
        state = status.get("state", "never started")
        why = (
            f"a different run (changed: {', '.join(changed)})"
            if changed
            # we hold the lock: a run recorded as running died without saying so
            else f"an unfinished run ({'killed' if state == 'running' else state})"
        )
        raise RunDirectoryError(
            f"{path} holds {why}: pass --resume to continue it, or --overwrite to start over"
        )
    if changed:
        warnings.warn(
            f"configuration changed: {', '.join(changed)} will recompute (and rewrite "
            "the output from the start); stored results of unchanged expensive steps "
            "are reused",
            ResumeNotice,
            stacklevel=4,
        )
        return None
    return checkpoint


def _natural(row_id: str) -> list[Any]:
    """Sort key putting ids in input order: ``abc:900`` before ``abc:1000``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", row_id)]


def _load(raw: Any) -> Checkpoint | None:
    return None if raw is None else msgspec.convert(raw, Checkpoint)


_MOVED = {
    "step_fingerprints": "streamflow.plan",
    "stable_repr": "streamflow.plan",
    "describe": "streamflow.plan:describe_operator",
}


def __getattr__(name: str) -> Any:
    """Compatibility: plan fingerprinting moved to :mod:`streamflow.plan` (the store knows no
    plans); old imports from here keep working."""
    target = _MOVED.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # compatibility alias: store/ may not import the plan above it at module level
    import streamflow.plan as plan

    return getattr(plan, target.partition(":")[2] or name)
