"""The operator kinds: the paper's generate / evaluate / filter / refine.

An operator is configured in ``__init__`` and bound to field names in ``run(storage, input_*=...,
output_*=...)``, exactly as in DataFlow. The work happens in a batch hook, ``process(rows,
**keys)`` (``observe`` for a DatasetEvaluator), which may be ``def`` or ``async def``. Each kind
turns what its hook returns into an :class:`~streamflow.rows.Outcome` and checks the kind's
contract, so the runtime never has to know what kind it is driving. A
:class:`DatasetTransformer` is a dataset evaluator that changes the dataset: it holds every row
until the end of the stream and emits what it makes of them all (DataFlow's DataFrame
operators run as one).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from streamflow.errors import OperatorContractError, PromptTemplateError
from streamflow.rows import Batch, DroppedRow, Failure, Outcome, Row, child_id

if TYPE_CHECKING:
    from streamflow.store.state import OperatorState

ExecutorKind = Literal["thread", "process"]


class OperatorKind(StrEnum):
    """The operator kinds, one per base class below. A member equals its string value
    (``OperatorKind.FILTER == "filter"``), so code and JSON written with strings keep working."""

    GENERATOR = "generator"
    ROW_GENERATOR = "row_generator"
    REFINER = "refiner"
    FILTER = "filter"
    SAMPLE_EVALUATOR = "sample_evaluator"
    DATASET_EVALUATOR = "dataset_evaluator"


REQUIRED: Any = inspect.Parameter.empty
"""Marks a hook key that has no default and must be bound in ``run()``."""


class Operator:
    """Base of every operator kind. Subclass one of the kinds, not this."""

    kind: ClassVar[OperatorKind]
    """Set by each kind's base class; an operator never sets it itself."""
    hook_name: ClassVar[str] = "process"
    expensive: ClassVar[bool] = False
    """Costly to redo (LLM, model, sandbox): the store keeps its results for resume."""
    stateful: ClassVar[bool] = False
    """Keeps state across batches (dedup sets, metrics): always runs on exactly one worker."""
    executor: ClassVar[ExecutorKind] = "thread"
    """Where a synchronous hook runs: a worker thread, or a process pool for CPU-heavy work
    (there, unless stateful, it gets one worker per core by default, so every core works)."""
    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = ()
    removes_fields: ClassVar[bool] = False
    """The fields it reads are gone after it (a field remover): compile() checks later reads."""
    optional_inputs: ClassVar[frozenset[str]] = frozenset()
    """Key parameters whose field a row may lack (the hook reads it with a default, as DataFlow's
    ``evidence``): compile() does not require the source or an earlier step to make it."""
    min_window_chunk: ClassVar[int] = 1
    """The fewest rows a windowed stage (see :attr:`admission_limit`) gives one hook call. One
    suits calls that take long next to a hook call (an LLM request, a sandbox run); steps whose
    calls often take a millisecond (SQL queries) ask for more, so the cost of a hook call stays
    small next to its work."""
    whole_dataset: ClassVar[bool] = False
    """Runs once over every row at the end of the stream (a :class:`DatasetTransformer`): it
    holds its input, and what it emits may differ from it in any field and in its rows."""

    _config: dict[str, Any]
    workers: int
    workers_chosen: bool
    """Whether ``workers`` was set with :meth:`options`; if not, an expensive async stage
    derives how many batches it works on at once from its :attr:`admission_limit`."""
    executor_kind: ExecutorKind

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        self = super().__new__(cls)
        self._config = _bind_config(cls, args, kwargs)
        parallel = cls.executor == "process" and not cls.stateful
        self.workers = (os.cpu_count() or 1) if parallel else 1
        self.workers_chosen = False
        self.executor_kind = cls.executor
        return self

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def admission_limit(self) -> int | None:
        """How many of this operator's calls what it waits on takes at once, or ``None``.

        The one thing the runtime asks to window a stage: an expensive, stateless step with an
        ``async def`` hook and no ``workers`` chosen that declares this limit works on chunks of
        several batches at once, enough to keep that many calls under way across batch
        boundaries (see :mod:`streamflow.actors.actor`). By default the limit of the serving in
        ``llm_serving`` (its ``max_in_flight``); an operator that waits on something else says
        so (the sandbox evaluator: its sandbox's runs in flight; the SQL execution steps: their
        databases' connections).
        """
        return getattr(getattr(self, "llm_serving", None), "max_in_flight", None)

    @property
    def config(self) -> dict[str, Any]:
        """The arguments this operator was constructed with (defaults filled in)."""
        return dict(self._config)

    def options(self, *, workers: int | None = None, executor: ExecutorKind | None = None) -> Self:
        """Set how the runtime drives this operator; returns ``self`` for chaining."""
        if workers is not None:
            if workers < 1:
                raise ValueError(f"{self.name}: workers must be >= 1, got {workers}")
            if self.stateful and workers != 1:
                raise ValueError(f"{self.name} is stateful and runs on exactly one worker")
            self.workers = workers
            self.workers_chosen = True
        if executor is not None:
            if executor not in ("thread", "process"):
                raise ValueError(f"{self.name}: executor must be 'thread' or 'process'")
            self.executor_kind = executor
        return self

    def run(self, storage: Any, **keys: Any) -> None:
        """Bind field names to this operator's hook; called from ``Pipeline.forward()``."""
        storage.record(self, keys)

    # -- what the runtime uses -------------------------------------------------------------

    @property
    def hook(self) -> Callable[..., Any]:
        hook: Callable[..., Any] = getattr(self, self.hook_name)
        return hook

    @classmethod
    def has_hook(cls) -> bool:
        return callable(getattr(cls, cls.hook_name, None))

    @classmethod
    def hook_keys(cls) -> dict[str, Any]:
        """The key parameters of the hook, with their defaults (``REQUIRED`` where none)."""
        hook = getattr(cls, cls.hook_name, None)
        return hook_parameters(hook) if callable(hook) else {}

    def check_prompt_template(self, template: Any) -> None:
        """Reject a prompt template this operator does not list in ``ALLOWED_PROMPTS``."""
        if template is None or not self.ALLOWED_PROMPTS:
            return
        if getattr(type(template), "diy", False) or isinstance(template, self.ALLOWED_PROMPTS):
            return
        allowed = ", ".join(t.__name__ for t in self.ALLOWED_PROMPTS)
        raise PromptTemplateError(
            f"{self.name} does not allow prompt template {type(template).__name__}; "
            f"allowed: {allowed} (or a DIY template subclass)"
        )

    def check_results(self, rows: list[Row], result: Any) -> list[Any]:
        """The hook's return value as one entry per row, or OperatorContractError (a bug)."""
        if not isinstance(result, list | tuple) or len(result) != len(rows):
            got = f"{type(result).__name__}"
            if isinstance(result, list | tuple):
                got += f" of length {len(result)}"
            raise OperatorContractError(
                f"{self.name}.{self.hook_name} must return a list with one entry per input row "
                f"({len(rows)} rows), got {got}"
            )
        return result if isinstance(result, list) else list(result)

    plain_result: ClassVar[type | None] = None
    """The type of the common per-row result (a dict, a bool, a list of rows): a batch made only
    of these takes the kind's fast path, which decides exactly as :meth:`outcome_per_row`."""

    def outcome(self, batch: Batch, results: list[Any]) -> Outcome:
        """Turn per-row results (from :meth:`check_results`) into the batch that leaves."""
        plain = self.plain_result
        if plain is not None and all(type(result) is plain for result in results):
            return self.plain_outcome(batch, results)
        return self.outcome_per_row(batch, results)

    def plain_outcome(self, batch: Batch, results: list[Any]) -> Outcome:
        """The fast path, for results all of type :attr:`plain_result`."""
        return self.outcome_per_row(batch, results)

    def outcome_per_row(self, batch: Batch, results: list[Any]) -> Outcome:
        """The general path: each result checked and turned into kept, dropped or failed."""
        raise NotImplementedError

    def open_state(self, state: OperatorState) -> None:
        """Called before a run with the state this operator may keep across batches and runs.

        Store-backed (LMDB) in a run directory, in memory otherwise. Stateless operators ignore it.
        """

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._config.items())
        return f"{self.name}({args})"


class _OneToOne(Operator):
    """Shared by the kinds whose hook returns one dict per row, in order."""

    process: Callable[..., list[Any] | Awaitable[list[Any]]]
    plain_result = dict

    def plain_outcome(self, batch: Batch, results: list[Any]) -> Outcome:
        return Outcome(Batch(batch.ids, results))

    def outcome_per_row(self, batch: Batch, results: list[Any]) -> Outcome:
        out = Outcome(Batch([], []))
        for row_id, row, res in zip(batch.ids, batch.rows, results, strict=True):
            if isinstance(res, Failure):
                out.failed.append((row_id, row, res.reason))
            elif isinstance(res, dict):
                out.batch.ids.append(row_id)
                out.batch.rows.append(res)
            else:
                raise OperatorContractError(
                    f"{self.name}.process must return dicts (or Failure), got {type(res).__name__}"
                )
        return out


class Generator(_OneToOne):
    """1 -> 1: adds output fields to each row."""

    kind = OperatorKind.GENERATOR


class Refiner(_OneToOne):
    """1 -> 1: rewrites existing fields of each row."""

    kind = OperatorKind.REFINER


class SampleEvaluator(_OneToOne):
    """1 -> 1: adds score or label fields to each row."""

    kind = OperatorKind.SAMPLE_EVALUATOR


class Filter(Operator):
    """1 -> 0/1: keeps or drops each row; a dropped row records its reason.

    ``process`` returns one ``bool`` (keep) or ``(bool, reason)`` per row. A filter may also
    write score fields into the rows it is given; it changes nothing else.
    """

    kind = OperatorKind.FILTER

    process: Callable[..., list[Any] | Awaitable[list[Any]]]
    plain_result = bool

    def plain_outcome(self, batch: Batch, results: list[Any]) -> Outcome:
        if all(results):
            return Outcome(batch)
        return self.outcome_per_row(batch, results)

    def outcome_per_row(self, batch: Batch, results: list[Any]) -> Outcome:
        out = Outcome(Batch([], []))
        for row_id, row, res in zip(batch.ids, batch.rows, results, strict=True):
            if isinstance(res, Failure):
                out.failed.append((row_id, row, res.reason))
                continue
            keep, reason = res if isinstance(res, tuple) else (res, "")
            if keep:
                out.batch.ids.append(row_id)
                out.batch.rows.append(row)
            else:
                out.dropped.append(
                    DroppedRow(row_id, self.name, reason or f"dropped by {self.name}")
                )
        return out


class RowGenerator(Operator):
    """1 -> 0..N: makes new rows from each row; the k-th child of row ``p`` gets id ``p/k``."""

    kind = OperatorKind.ROW_GENERATOR

    process: Callable[..., list[Any] | Awaitable[list[Any]]]
    plain_result = list

    def plain_outcome(self, batch: Batch, results: list[Any]) -> Outcome:
        pairs = zip(batch.ids, results, strict=True)
        ids = [child_id(row_id, k) for row_id, res in pairs for k in range(len(res))]
        return Outcome(Batch(ids, [child for res in results for child in res]))

    def outcome_per_row(self, batch: Batch, results: list[Any]) -> Outcome:
        out = Outcome(Batch([], []))
        for row_id, row, res in zip(batch.ids, batch.rows, results, strict=True):
            if isinstance(res, Failure):
                out.failed.append((row_id, row, res.reason))
                continue
            if not isinstance(res, list | tuple):
                raise OperatorContractError(
                    f"{self.name}.process must return a list of rows per input row, "
                    f"got {type(res).__name__}"
                )
            for k, child in enumerate(res):
                out.batch.ids.append(child_id(row_id, k))
                out.batch.rows.append(child)
        return out


class DatasetEvaluator(Operator):
    """stream -> report: rows pass through unchanged; ``report()`` gives dataset-level metrics.

    ``observe(rows, **keys)`` sees every batch; ``report()`` is called once at end of stream.
    A dataset evaluator is stateful and runs on one worker.
    """

    kind = OperatorKind.DATASET_EVALUATOR
    hook_name = "observe"
    stateful = True

    observe: Callable[..., Awaitable[None] | None]

    def report(self) -> dict[str, Any]:
        raise NotImplementedError(f"{self.name} must implement report()")

    def check_results(self, rows: list[Row], result: Any) -> list[Any]:
        return [None] * len(rows)

    def outcome(self, batch: Batch, results: list[Any]) -> Outcome:
        return Outcome(batch)  # rows pass through: no result to look at

    def outcome_per_row(self, batch: Batch, results: list[Any]) -> Outcome:
        return Outcome(batch)

    def state_dict(self) -> dict[str, Any]:
        """What ``observe`` accumulated, saved at each checkpoint so a resumed run goes on
        from it. The default takes the instance's attributes set outside ``__init__``'s
        configuration; they must be plain data (numbers, strings, lists, dicts)."""
        return {k: v for k, v in vars(self).items() if k not in _RUNTIME_ATTRS}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        vars(self).update(state)


class DatasetTransformer(DatasetEvaluator):
    """stream -> stream, once: holds every row until the end of the stream, then emits what
    ``transform(batch, **keys)`` makes of them all (a DataFlow DataFrame operator, say).

    A dataset evaluator that changes the dataset: it sees the whole stream on one worker, as an
    evaluator does, but nothing passes it before the input ends, so it holds the whole input in
    memory. ``transform`` is synchronous (it runs in a worker thread) and returns the rows that
    leave, with their ids; it is not called when no row came in (a resumed run that has nothing
    left to do). It fails the run, not single rows: it has no rows of its own to dead-letter.
    """

    hook_name = "transform"
    whole_dataset = True
    rows_in: int = 0
    """Rows transformed, over every run of this run directory (kept at checkpoints)."""
    rows_out: int = 0

    transform: Callable[..., Batch]

    @classmethod
    def hook_keys(cls) -> dict[str, Any]:
        keys = super().hook_keys()
        keys.pop("batch", None)
        return keys

    def observe(self, rows: list[Row], **keys: Any) -> None:
        """Not used: the actor collects the rows and calls :meth:`transform` once."""

    def report(self) -> dict[str, Any]:
        return {"rows_in": self.rows_in, "rows_out": self.rows_out}

    def state_dict(self) -> dict[str, Any]:
        return {"rows_in": self.rows_in, "rows_out": self.rows_out}


_RUNTIME_ATTRS = frozenset({"_config", "workers", "workers_chosen", "executor_kind"})

KIND_CLASSES: dict[OperatorKind, type[Operator]] = {
    cls.kind: cls
    for cls in (Generator, RowGenerator, Refiner, Filter, SampleEvaluator, DatasetEvaluator)
}
"""The base class of each kind."""
KINDS: tuple[type[Operator], ...] = tuple(KIND_CLASSES.values())


def hook_parameters(fn: Callable[..., Any]) -> dict[str, Any]:
    """Keyword parameters of a hook after ``self`` and ``rows``, name -> default."""
    params = list(inspect.signature(fn).parameters.values())
    names = [p for p in params if p.name not in ("self", "rows")]
    return {
        p.name: p.default
        for p in names
        if p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    }


def accepts_any_key(fn: Callable[..., Any]) -> bool:
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(fn).parameters.values()
    )


def _bind_config(cls: type, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Record the constructor's arguments (with defaults) for fingerprints and ``ops show``."""
    init = cls.__init__  # type: ignore[misc]
    name = getattr(cls, "__name__", "operator")
    if init is object.__init__:
        # object.__init__ accepts anything once __new__ is overridden: refuse here instead
        if args or kwargs:
            given = ", ".join([repr(a) for a in args] + [f"{k}=..." for k in kwargs])
            raise TypeError(f"{name} takes no constructor arguments, got {given}")
        return {}
    try:
        bound = inspect.signature(init).bind(None, *args, **kwargs)
    except TypeError as exc:  # name the operator, not the base class that defines __init__
        raise TypeError(f"{name}(): {exc}") from None
    bound.apply_defaults()
    config = dict(bound.arguments)
    config.pop(next(iter(config)))  # self
    for name, param in inspect.signature(init).parameters.items():
        if param.kind is inspect.Parameter.VAR_KEYWORD and name in config:
            config.update(config.pop(name))
    return config
