"""Toxicity by Google's Perspective API (DataFlow's ``PerspectiveSampleEvaluator`` and
``PerspectiveFilter``), through :class:`~streamflow.serving.perspective.PerspectiveAPIServing`.

A text the API could not score (a language the attribute does not support, retries or the
daily quota spent) fails its row, which goes to the dead letters with the reason; DataFlow
writes NaN there, and its filter keeps NaN rows. Requests of a batch go out concurrently within
the serving's limits; results are kept for resume (``expensive``: the API is paid and rate
limited).
"""

from __future__ import annotations

from typing import ClassVar

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.operators.fields import text_field
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMRequestError
from streamflow.serving.perspective import PerspectiveAPIServing

__all__ = ["PerspectiveFilter", "PerspectiveSampleEvaluator"]


class _PerspectiveScoring:
    expensive: ClassVar[bool] = True
    name: str
    serving: PerspectiveAPIServing

    async def _scores(self, rows: list[Row], input_key: str) -> list[float | Failure]:
        texts = [text_field(self.name, row, input_key) for row in rows]
        results = await self.serving.score_all(texts)
        return [
            Failure(r.reason, transient=r.transient) if isinstance(r, LLMRequestError) else r
            for r in results
        ]


class PerspectiveSampleEvaluator(_PerspectiveScoring, SampleEvaluator):
    """Writes the Perspective toxicity score (0..1, higher is more toxic) to ``output_key``.

    ``serving`` defaults to a :class:`PerspectiveAPIServing` with DataFlow's 10 workers.
    """

    def __init__(self, serving: PerspectiveAPIServing | None = None) -> None:
        self.serving = serving if serving is not None else PerspectiveAPIServing(max_workers=10)

    async def process(
        self, rows: list[Row], input_key: str = "text", output_key: str = "PerspectiveScore"
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = []
        for row, score in zip(rows, await self._scores(rows, input_key), strict=True):
            if isinstance(score, Failure):
                out.append(score)
            else:
                row[output_key] = score
                out.append(row)
        return out


class PerspectiveFilter(_PerspectiveScoring, Filter):
    """Keeps rows whose toxicity lies in ``[min_score, max_score]`` (0.0, 0.5); the score is
    written to ``output_key``. ``serving`` is not in DataFlow's filter, which always builds its
    own (10 workers): pass one to set limits or the server."""

    def __init__(
        self,
        min_score: float = 0.0,
        max_score: float = 0.5,
        serving: PerspectiveAPIServing | None = None,
    ) -> None:
        self.min_score = min_score
        self.max_score = max_score
        self.serving = serving if serving is not None else PerspectiveAPIServing(max_workers=10)

    async def process(
        self, rows: list[Row], input_key: str = "text", output_key: str = "PerspectiveScore"
    ) -> list[bool | tuple[bool, str] | Failure]:
        verdicts: list[bool | tuple[bool, str] | Failure] = []
        for row, score in zip(rows, await self._scores(rows, input_key), strict=True):
            if isinstance(score, Failure):
                verdicts.append(score)
                continue
            row[output_key] = score
            if self.min_score <= score <= self.max_score:
                verdicts.append(True)
            else:
                verdicts.append(
                    (False, f"toxicity {score:.3f} outside [{self.min_score}, {self.max_score}]")
                )
        return verdicts
