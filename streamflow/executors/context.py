"""What travels with every run besides its plan and options: where failed and dropped rows go,
and, in a run directory, the store with each step's fingerprint and the restored states."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from streamflow.store.deadletters import DeadLetter, DeadLetters, DropLog, Dropped
from streamflow.store.runstore import RunStore


@dataclass(frozen=True)
class RunContext:
    dead_letters: DeadLetters
    dropped: DropLog
    store: RunStore | None = None
    """The run store: expensive steps keep their results there, stateful ones their state."""
    fingerprints: Sequence[str] | None = None
    """Per step, the key of its results and state in ``store`` (None: the step labels)."""
    states: Mapping[str, Any] | None = None
    """Dataset evaluators' states from the checkpoint the run resumes at, by step label."""

    @classmethod
    def in_memory(cls) -> RunContext:
        """No run directory: dead letters kept in memory, dropped rows only counted (a long
        run would otherwise grow without bound), state in memory."""
        return cls(DeadLetters(DeadLetter), DropLog(Dropped, keep_in_memory=False))

    @classmethod
    def in_store(
        cls,
        store: RunStore,
        fingerprints: Sequence[str],
        states: Mapping[str, Any] | None = None,
    ) -> RunContext:
        """Everything kept in the run store of a run directory."""
        return cls(
            DeadLetters(DeadLetter, store), DropLog(Dropped, store), store, fingerprints, states
        )

    def from_step(self, k: int, states: Mapping[str, Any] | None) -> RunContext:
        """The context of a run of the plan's steps from ``k`` on (a retry of requeued rows)."""
        fingerprints = self.fingerprints[k:] if self.fingerprints is not None else None
        return RunContext(self.dead_letters, self.dropped, self.store, fingerprints, states)
