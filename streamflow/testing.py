"""Helpers for testing operators without a pipeline or an engine.

:func:`apply` calls a hook as the runtime would; :class:`ScriptedServing` is a fake LLM for unit
tests of an operator's logic (the real engine belongs in the slower tests beside them).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio

from streamflow.actors.base import Operator
from streamflow.rows import Batch, Outcome, Row, current_row_ids
from streamflow.serving.base import Completion, LLMServing, Message, SamplingParams, Usage


def apply(
    op: Operator, rows: Sequence[Row], ids: Sequence[str] | None = None, **keys: Any
) -> Outcome:
    """Run ``op``'s hook on ``rows`` with their ids set, and check the contract.

    An async hook runs in an event loop of its own, so call this from synchronous tests.
    Returns the :class:`~streamflow.rows.Outcome`: the rows that leave, the dropped ones with
    their reasons and the failed ones.
    """
    batch = Batch(
        list(ids) if ids is not None else [f"row:{i}" for i in range(len(rows))], list(rows)
    )
    token = current_row_ids.set(batch.ids)
    try:
        result = op.hook(batch.rows, **keys)
        if inspect.isawaitable(result):
            result = anyio.run(_wait, result)
    finally:
        current_row_ids.reset(token)
    return op.outcome(batch, op.check_results(batch.rows, result))


async def _wait(result: Awaitable[Any]) -> Any:
    return await result


class ScriptedServing(LLMServing):
    """A fake LLM: answers each prompt (the last message) with ``answer(prompt)``.

    ``answer`` may raise :class:`~streamflow.serving.base.LLMRequestError` to fail a request,
    and may return a list of ``n`` texts for a request of several samples (``params.n``; a
    single text is repeated). An answer for which ``cut_off(text)`` is true comes back as if
    cut off at ``max_tokens`` (``finish_reason`` "length"). Every request is kept in
    ``requests`` as ``(messages, json_schema)`` and its sampling parameters in ``params_seen``.
    """

    model = "scripted"

    def __init__(
        self,
        answer: Callable[[str], str | list[str]] = lambda prompt: f"<{prompt}>",
        *,
        delay: float = 0.0,
        max_in_flight: int = 64,
        params: SamplingParams | None = None,
        cut_off: Callable[[str], bool] = lambda text: False,
    ) -> None:
        super().__init__(max_in_flight=max_in_flight, params=params)
        self.answer = answer
        self.cut_off = cut_off
        self.delay = delay
        self.requests: list[tuple[list[Message], dict[str, Any] | None]] = []
        self.params_seen: list[SamplingParams] = []

    @property
    def prompts(self) -> list[str]:
        """The user prompt of every request so far, in arrival order."""
        return [str(messages[-1]["content"]) for messages, _ in self.requests]

    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion:
        self.requests.append((messages, json_schema))
        self.params_seen.append(params)
        await anyio.sleep(self.delay)
        answer = self.answer(str(messages[-1]["content"]))
        if isinstance(answer, list):  # one text per sample (a request with params.n > 1)
            if len(answer) != params.n:
                raise ValueError(f"scripted {len(answer)} samples for a request of n={params.n}")
            texts, usage = list(answer), Usage(3, 2 * params.n)
        else:
            texts, usage = [answer] * params.n, Usage(3, 2)
        return Completion(texts, usage, ["length" if self.cut_off(t) else "stop" for t in texts])
