"""GeneralFilter: keep rows that pass every rule, a rule being a DataFrame predicate or an
expression.

A rule is, as in DataFlow, a callable taking a pandas DataFrame and returning a boolean Series
(``lambda df: df["score"] >= 3``), or (streamflow's addition) a string evaluated with
``DataFrame.eval`` (``"score >= 3 and lang == 'en'"``). Rules see one batch of rows at a time,
so a rule must decide each row by its own values: one that compares a row with the rest of the
dataset (``df["x"] > df["x"].mean()``) would decide by the batch only. A dropped row's reason
names the first rule it failed. A rule that raises, or returns anything but one boolean per
row, fails the batch's rows with the reason (DataFlow stops the pipeline).

Callables make no stable configuration: a pipeline whose rules are lambdas recomputes this step
on resume (it is cheap); string rules are fingerprinted like any setting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamflow.actors.base import Filter
from streamflow.extras import require
from streamflow.rows import Failure, Row

__all__ = ["GeneralFilter", "describe_rule"]

Rule = Callable[[Any], Any] | str


def describe_rule(rule: Rule) -> str:
    return repr(rule) if isinstance(rule, str) else getattr(rule, "__name__", repr(rule))


class GeneralFilter(Filter):
    """Keeps the rows for which every rule in ``filter_rules`` holds (see the module docstring)."""

    def __init__(self, filter_rules: list[Rule]) -> None:
        require("pandas", "pandas", for_=type(self).__name__)
        if not filter_rules:
            raise ValueError(f"{self.name}: filter_rules must hold at least one rule")
        for i, rule in enumerate(filter_rules):
            if not (callable(rule) or isinstance(rule, str)):
                raise ValueError(
                    f"{self.name}: rule {i} must be a callable (lambda df: ...) or an expression "
                    f"string, got {type(rule).__name__}"
                )
        self.filter_rules = list(filter_rules)

    def process(self, rows: list[Row]) -> list[bool | tuple[bool, str] | Failure]:
        pd = require("pandas", "pandas")
        frame = pd.DataFrame(rows)
        verdicts: list[bool | tuple[bool, str] | Failure] = [True] * len(rows)
        for i, rule in enumerate(self.filter_rules):
            name = f"rule {i} ({describe_rule(rule)})"
            try:
                result = frame.eval(rule) if isinstance(rule, str) else rule(frame)
            except Exception as exc:  # a user's rule: any error fails the batch, with it
                return [Failure(f"{name} raised {type(exc).__name__}: {exc}")] * len(rows)
            if not isinstance(result, pd.Series) or len(result) != len(rows):
                return [Failure(f"{name} must return one boolean per row (a Series)")] * len(rows)
            if result.dtype != bool:
                return [Failure(f"{name} returned {result.dtype} values, not booleans")] * len(rows)
            for k, keep in enumerate(result.tolist()):
                if not keep and verdicts[k] is True:
                    verdicts[k] = (False, f"failed {name}")
        return verdicts
