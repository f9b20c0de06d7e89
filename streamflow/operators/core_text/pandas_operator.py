"""PandasOperator: DataFrame functions applied to the whole dataset, as DataFlow applies them.

``process_fn`` is a list of functions, each taking a DataFrame and returning one, applied in
order to every row that reaches the step, at once: sorting, grouping, de-duplicating across rows
and melting work as in DataFlow. It is a whole-dataset step
(:class:`~streamflow.actors.base.DatasetTransformer`): it holds its input in memory until the
input ends (compile() warns), reads and writes the frame exactly as DataFlow's step files would
(:class:`~streamflow.operators.dataframe.FrameStorage`), and a row it keeps keeps its id when
the index still says which input row it was (see :mod:`streamflow.operators.dataframe`).

A function that raises or returns something other than a DataFrame fails the run with an error
naming the step and the function: there are no single rows to dead-letter. For functions that
work row by row, a streaming step is cheaper: ``GeneralFilter`` for rules, or an operator of
your own. Needs pandas: ``pip install 'streamflow-data[pandas]'``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamflow.actors.base import DatasetTransformer
from streamflow.extras import require
from streamflow.operators.dataframe import DataFrameOperatorError, FrameStorage, frame_batch
from streamflow.rows import Batch

__all__ = ["PandasOperator"]


class PandasOperator(DatasetTransformer):
    """Applies ``process_fn`` (DataFrame -> DataFrame functions) to the whole dataset."""

    def __init__(self, process_fn: list[Callable[[Any], Any]]) -> None:
        require("pandas", "pandas", for_=type(self).__name__)
        if not process_fn or not all(callable(fn) for fn in process_fn):
            raise ValueError(f"{self.name}: process_fn must be a non-empty list of callables")
        self.process_fn = list(process_fn)

    def transform(self, batch: Batch, output_key: str | None = None) -> Batch:
        """``output_key`` is accepted, and unused, as in DataFlow."""
        pd = require("pandas", "pandas", for_=self.name)
        storage = FrameStorage(batch.rows, self.name)
        frame = storage.read("dataframe")
        for i, fn in enumerate(self.process_fn):
            what = f"{self.name}: process_fn {i} ({getattr(fn, '__name__', repr(fn))})"
            try:
                frame = fn(frame)
            except Exception as exc:  # a user's function, over the whole dataset
                raise DataFrameOperatorError(
                    f"{what} raised {type(exc).__name__}: {exc} (over the whole dataset: "
                    f"{len(batch)} rows)"
                ) from exc
            if not isinstance(frame, pd.DataFrame):
                raise DataFrameOperatorError(
                    f"{what} must return a DataFrame, not {type(frame).__name__}"
                )
        storage.write(frame)
        return frame_batch(self.name, batch.ids, storage.written)
