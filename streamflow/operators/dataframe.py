"""DataFlow's custom operators: a ``run(storage, ...)`` that reads ``storage.read("dataframe")``
and hands its result to ``storage.write(df)``, run as one whole-dataset stage.

Such an operator is no streamflow operator kind: it is a plain class (or one subclassing
DataFlow's ``OperatorABC``) whose ``run()`` works on the whole dataset as a pandas DataFrame.
A pipeline's ``compile()`` finds these objects among its attributes (``self.op = MyOp()`` in
``__init__``, or inside a list or dict attribute) and, while ``forward()`` is traced, records
their ``run(...)`` calls as :class:`DataFrameOperator` steps
(:func:`dataframe_operators_recorded`).

At run time the step is a :class:`~streamflow.actors.base.DatasetTransformer`: every row that
reaches it is held until the input ends, then, in a worker thread, the rows become a DataFrame
as DataFlow would read its previous step's file (``pandas.read_json(..., lines=True)`` over the
rows as JSON lines), the operator's ``run()`` gets a storage stand-in (:class:`FrameStorage`:
``read("dataframe")``, ``read("dict")``, ``write(df_or_records)``, ``get_keys_from_dataframe()``),
and the frame it writes becomes the rows that stream on, as DataFlow would write its step file
(the same cleaning of odd values, ``to_json(orient="records")``). The stage holds its whole input
in memory: compile() warns about it (a :class:`~streamflow.pipeline.CompileWarning`).

Row ids of what it writes: a row whose index label is an input position (pandas keeps the
index through filtering, sorting and added columns) keeps that input row's id; any other row
(a new row, a repeated label, a reset index past the input's length) gets
``{Operator}@{hash of the input ids}/{position}``. Ids are therefore the same on every run over
the same input, which is all resume needs.

Deliberate differences from DataFlow: the operator sees the rows that reach it in this run
(after a finished run, ``--resume`` sends none, so it is not called at all; over grown input it
sees only the new rows); an exception in ``run()``, or a ``write()`` of something that is neither
a DataFrame nor a list of dicts, or no ``write()`` at all, fails the run with an error naming the
operator (it has no single rows to dead-letter). Needs pandas: ``pip install
'streamflow-data[pandas]'``.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from streamflow.actors.base import DatasetTransformer, Operator
from streamflow.errors import CompileError, StreamflowError
from streamflow.extras import require
from streamflow.rows import Batch, Row, child_id, fingerprint

__all__ = [
    "DataFrameOperator",
    "DataFrameOperatorError",
    "FrameStorage",
    "dataframe_operators_recorded",
    "frame_batch",
    "held_objects",
    "is_dataframe_operator",
]

_encode = msgspec.json.Encoder().encode


class DataFrameOperatorError(StreamflowError):
    """A DataFlow DataFrame operator raised, or wrote something that is not a dataset."""


class DataFrameOperator(DatasetTransformer):
    """A DataFlow custom operator (``run(storage, ...)`` over a DataFrame) as a stage.

    ``operator`` is the user's object; its class name names the step, and its public attributes
    are its configuration (in the step's fingerprint).
    """

    def __init__(self, operator: Any) -> None:
        self.operator = operator

    @property
    def name(self) -> str:
        return type(self.operator).__name__

    def transform(self, batch: Batch, **keys: Any) -> Batch:
        pd = require("pandas", "pandas", for_=f"{self.name} (a DataFlow DataFrame operator)")
        storage = FrameStorage(batch.rows, self.name)
        try:
            self.operator.run(storage, **keys)
        except DataFrameOperatorError:
            raise
        except Exception as exc:
            raise DataFrameOperatorError(
                f"{self.name}.run() raised {type(exc).__name__}: {exc} (a DataFlow DataFrame "
                f"operator, run over the whole dataset: {len(batch)} rows)"
            ) from exc
        if storage.written is None:
            raise DataFrameOperatorError(
                f"{self.name}.run() returned without calling storage.write(...): a DataFlow "
                "operator writes its result, the rows the next step reads"
            )
        assert isinstance(storage.written, pd.DataFrame)
        return frame_batch(self.name, batch.ids, storage.written)


class FrameStorage:
    """What a DataFlow operator's ``run()`` gets as ``storage``: the dataset so far, in memory.

    ``read("dataframe")`` (the default) gives the rows as a new DataFrame on every call, as
    DataFlow reads its step file afresh (changing one frame changes no later read);
    ``read("dict")`` gives them as records. ``write(data)`` takes a DataFrame or a non-empty
    list of dicts and keeps it as the result (the last write wins).
    """

    def __init__(self, rows: list[Row], operator: str) -> None:
        self._rows = rows
        self.operator = operator
        self.written: Any = None

    def read(self, output_type: str = "dataframe") -> Any:
        if output_type not in ("dataframe", "dict"):
            raise DataFrameOperatorError(
                f"{self.operator}: storage.read({output_type!r}): DataFlow's storage reads "
                "'dataframe' or 'dict'"
            )
        frame = rows_to_frame(self._rows)
        return frame if output_type == "dataframe" else frame.to_dict(orient="records")

    def write(self, data: Any) -> str:
        pd = require("pandas", "pandas", for_=self.operator)
        if isinstance(data, pd.DataFrame):
            frame = data.map(_clean)
        elif isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
            frame = pd.DataFrame([_clean(r) for r in data])
        else:
            got = "an empty list" if isinstance(data, list) and not data else type(data).__name__
            raise DataFrameOperatorError(
                f"{self.operator}.run() called storage.write() with {got}: DataFlow's storage "
                "writes a pandas DataFrame or a non-empty list of dicts"
            )
        self.written = frame
        return f"<rows after {self.operator}>"

    def get_keys_from_dataframe(self) -> list[str]:
        return [str(c) for c in self.read().columns]


def rows_to_frame(rows: list[Row]) -> Any:
    """The rows as DataFlow reads a JSON-lines step file: ``pandas.read_json(lines=True)``."""
    pd = require("pandas", "pandas", for_="DataFlow DataFrame operators")
    text = b"\n".join(_encode(row) for row in rows)
    return pd.read_json(io.BytesIO(text), lines=True)


def frame_to_rows(frame: Any) -> list[Row]:
    """The rows of a frame as DataFlow writes its step file (``to_json(orient="records")``:
    NaN becomes null, dates epoch milliseconds, floats keep 10 significant digits)."""
    rows: list[Row] = msgspec.json.decode(frame.to_json(orient="records", force_ascii=False))
    return rows


def frame_batch(name: str, ids: list[str], frame: Any) -> Batch:
    """The rows of the frame operator ``name`` wrote, with their ids (see the module docstring)."""
    return Batch(_output_ids(name, ids, list(frame.index)), frame_to_rows(frame))


def _clean(value: Any) -> Any:
    """DataFlow's cleaning before it writes: strings lose unpaired surrogates, containers are
    cleaned inside, numbers, booleans and None stay, anything else becomes its ``str()``."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _clean(str(value))


def _output_ids(name: str, ids: list[str], labels: list[Any]) -> list[str]:
    """An input row's id for each label that is an unused input position; else a stable new id."""
    used: set[int] = set()
    out: list[str] = []
    stem: str | None = None
    for k, label in enumerate(labels):
        position = _position(label, len(ids))
        if position is not None and position not in used:
            used.add(position)
            out.append(ids[position])
            continue
        if stem is None:
            stem = f"{name}@{fingerprint(chr(10).join(ids), 16)}"
        out.append(child_id(stem, k))
    return out


def _position(label: Any, n: int) -> int | None:
    if isinstance(label, bool) or not hasattr(label, "__index__"):
        return None
    position = int(label.__index__())
    return position if 0 <= position < n else None


# -- finding them in a pipeline while forward() is traced ------------------------------------


def is_dataframe_operator(obj: Any) -> bool:
    """A DataFlow-style operator streamflow cannot stream: an object (not a class) whose
    ``run``'s first parameter is ``storage``, and that is no operator of one of our kinds (a
    subclass of DataFlow's ``OperatorABC``, our ``Operator``, with its own ``run()`` counts)."""
    if inspect.isclass(obj):
        return False
    if isinstance(obj, Operator) and (hasattr(type(obj), "kind") or type(obj).run is Operator.run):
        return False
    try:  # any attribute of a pipeline: a lazy proxy's getattr may raise anything
        run = getattr(obj, "run", None)
        if not inspect.ismethod(run):
            return False
        params = list(inspect.signature(run).parameters)
    except Exception:
        return False
    return bool(params) and params[0] == "storage"


@contextmanager
def dataframe_operators_recorded(owner: Any) -> Iterator[None]:
    """While the block runs, each DataFrame operator among ``owner``'s attributes (or in a list,
    tuple or dict attribute) records its ``run(storage, ...)`` call as a
    :class:`DataFrameOperator` step instead of running."""
    found = {id(obj): obj for obj in held_objects(owner) if is_dataframe_operator(obj)}
    patched = []
    try:
        for obj in found.values():
            try:
                obj.run = _recorder(obj)
            except (AttributeError, TypeError):
                continue  # slots or a frozen class: StorageStep.read() explains
            patched.append(obj)
        yield
    finally:
        for obj in patched:
            del obj.run


def held_objects(owner: Any) -> Iterator[Any]:
    """What ``owner`` holds: each attribute, or the items of a list, tuple or dict attribute."""
    for value in vars(owner).values():
        if isinstance(value, list | tuple):
            yield from value
        elif isinstance(value, dict):
            yield from value.values()
        else:
            yield value


def _recorder(obj: Any) -> Any:
    run = obj.run
    signature = inspect.signature(run)

    def record(*args: Any, **kwargs: Any) -> None:
        name = type(obj).__name__
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise CompileError([f"{name}.run(): {exc}"]) from None
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        storage = arguments.pop("storage")
        for param in signature.parameters.values():
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                arguments.update(arguments.pop(param.name, {}))
            elif param.kind is inspect.Parameter.VAR_POSITIONAL and arguments.pop(param.name, ()):
                raise CompileError([f"{name}.run(): give its keys by name, not by position"])
        if not hasattr(storage, "record"):
            raise CompileError(
                [f"{name}.run() was given {type(storage).__name__}, not self.storage.step()"]
            )
        storage.record(DataFrameOperator(obj), arguments)

    return record
