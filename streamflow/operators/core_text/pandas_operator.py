"""PandasOperator: DataFrame functions applied to the stream, batch by batch.

As in DataFlow, ``process_fn`` is a list of functions, each taking a DataFrame and returning
one, applied in order. DataFlow applies them to the whole dataset at once; here each batch of
rows becomes a DataFrame, so the functions must work row by row (add or change columns, drop
rows, ``explode`` a list column): what they return is matched to the input rows by the
DataFrame index, which pandas keeps through such operations. A row whose index is gone was
dropped (its reason says so); an index that appears several times made several rows.

A function that needs the whole dataset (sorting, grouping, de-duplicating across rows,
aggregating) cannot be applied that way. Its output betrays it: rows re-ordered, or index labels
that were no row of the batch. The first gives a warning (the order is kept from the input, the
sort is lost); the second fails the batch's rows with the reason. Run such steps after the
pipeline, on its output file.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from streamflow.extras import require
from streamflow.operators._dropping import Drop, DroppingRowGenerator
from streamflow.rows import Failure, Row

__all__ = ["PandasOperator", "WholeDatasetWarning"]


class WholeDatasetWarning(UserWarning):
    """A PandasOperator function seems to need the whole dataset, but sees a batch."""


class PandasOperator(DroppingRowGenerator):
    """Applies ``process_fn`` (DataFrame -> DataFrame functions) to each batch of rows."""

    def __init__(self, process_fn: list[Callable[[Any], Any]]) -> None:
        require("pandas", "pandas", for_=type(self).__name__)
        if not process_fn or not all(callable(fn) for fn in process_fn):
            raise ValueError(f"{self.name}: process_fn must be a non-empty list of callables")
        self.process_fn = list(process_fn)
        self._warned = False

    def process(self, rows: list[Row], output_key: str | None = None) -> list[Any]:
        pd = require("pandas", "pandas")
        frame = pd.DataFrame(rows)
        for i, fn in enumerate(self.process_fn):
            name = getattr(fn, "__name__", repr(fn))
            try:
                frame = fn(frame)
            except Exception as exc:  # a user's function: any error fails the batch, with it
                return [Failure(f"process_fn {i} ({name}) raised {type(exc).__name__}: {exc}")] * (
                    len(rows)
                )
            if not isinstance(frame, pd.DataFrame):
                return [Failure(f"process_fn {i} ({name}) must return a DataFrame")] * len(rows)
        labels = list(frame.index)
        strangers = [
            label for label in labels if not (isinstance(label, int) and 0 <= label < len(rows))
        ]
        if strangers:
            return [
                Failure(
                    f"{self.name}: process_fn produced rows that are no row of the batch (index "
                    f"{strangers[0]!r}): it needs the whole dataset (an aggregation?), which "
                    "this operator does not gather; run it on the pipeline's output instead"
                )
            ] * len(rows)
        if labels != sorted(labels) and not self._warned:
            self._warned = True
            warnings.warn(
                f"{self.name}: process_fn re-ordered the rows of a batch (a sort?); each batch is "
                "processed alone and rows keep their input order",
                WholeDatasetWarning,
                stacklevel=2,
            )
        children: list[list[Row]] = [[] for _ in rows]
        for label, record in zip(labels, frame.to_dict(orient="records"), strict=True):
            children[label].append({str(k): _plain(v) for k, v in record.items()})
        return [kids if kids else Drop("removed by process_fn") for kids in children]


def _plain(value: Any) -> Any:
    """numpy scalars and NaN as plain JSON-like values."""
    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            return value
    if isinstance(value, float) and value != value:
        return None
    return value
