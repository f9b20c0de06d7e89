"""What travels with every run besides its plan and options: where failed and dropped rows go,
in a run directory the store with each step's fingerprint and the restored states, and where
each stage's hooks run (here, or in an executor's worker pool)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from streamflow.actors.actor import BoundOp, Offload
from streamflow.store.deadletters import DeadLetter, DeadLetters, DropLog, Dropped
from streamflow.store.runstore import RunStore


class Placement(Protocol):
    """Where each step's hooks run: in this process, or in a worker pool elsewhere."""

    def remote(self, bound: BoundOp) -> bool:
        """Whether ``bound``'s hook runs elsewhere (only steps in the same place share a
        stage)."""
        ...

    def offload(self, stage: list[BoundOp]) -> Offload | None:
        """Where a stage of remote steps runs (None: in this process)."""
        ...


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
    placement: Placement | None = None
    """Where each stage runs (None: every stage in this process)."""

    @classmethod
    def in_memory(cls, placement: Placement | None = None) -> RunContext:
        """No run directory: dead letters kept in memory, dropped rows only counted (a long
        run would otherwise grow without bound), state in memory."""
        return cls(
            DeadLetters(DeadLetter), DropLog(Dropped, keep_in_memory=False), placement=placement
        )

    @classmethod
    def in_store(
        cls,
        store: RunStore,
        fingerprints: Sequence[str],
        states: Mapping[str, Any] | None = None,
        placement: Placement | None = None,
    ) -> RunContext:
        """Everything kept in the run store of a run directory."""
        return cls(
            DeadLetters(DeadLetter, store),
            DropLog(Dropped, store),
            store,
            fingerprints,
            states,
            placement,
        )

    def from_step(self, k: int, states: Mapping[str, Any] | None) -> RunContext:
        """The context of a run of the plan's steps from ``k`` on (a retry of requeued rows)."""
        fingerprints = self.fingerprints[k:] if self.fingerprints is not None else None
        return RunContext(
            self.dead_letters, self.dropped, self.store, fingerprints, states, self.placement
        )
