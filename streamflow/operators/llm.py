"""Shared support for LLM operators: the serving they default to, concurrent requests, and
reading scores and JSON out of answers.

An LLM operator mixes in :class:`LLMOperator` (``expensive = True``: the store keeps its results
for resume; ``self._use(llm_serving)`` picks the embedded default model when none is given) and
sends its rows' prompts with :func:`ask_each`. What the library's LLM operators share, and new
ones should keep:

- One request per row (per chunk, for the chunked generator); a batch's requests go out
  concurrently and the serving's admission limit bounds how many are in flight, so a saturated
  model holds the batch back and the channels upstream fill: backpressure, not a queue.
- A request that failed for good (:class:`LLMRequestError`) or an answer the operator cannot use
  (no score, invalid JSON) fails that row alone: it goes to the dead letters with the reason.
  Nothing falls back to a silent default (DataFlow scores an unparsable answer 0).
- An answer cut off at ``max_tokens`` (``finish_reason`` "length") fails its row: a cut-off
  answer looks complete downstream. Every LLM operator keeps such answers instead after
  ``op.accept_truncated_answers()`` (and the free-text generators take ``accept_truncated=True``
  in their constructors); each one kept is counted (``truncated`` in the step's statistics and
  the run summary). Operators that call the serving themselves check with :func:`answer_text`
  or :func:`answer_texts`.
- Without ``llm_serving`` they use the embedded default model, one engine shared by all.
- An empty or missing input is not sent: generators write ``""``, the refiner leaves the row
  as it is, the filter drops it, the evaluator and the JSON generator fail it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Self, TypeVar

import anyio

from streamflow.channels.stats import OperatorStats, current_stats
from streamflow.errors import RunStopped
from streamflow.prompts.base import as_text
from streamflow.rows import Failure, Row
from streamflow.serving.base import Completion, LLMRequestError, LLMServing, SamplingParams

__all__ = [
    "DEFAULT_JUDGE_PROMPT",
    "DEFAULT_SYSTEM_PROMPT",
    "LLMOperator",
    "answer_text",
    "answer_texts",
    "ask_each",
    "ask_samples",
    "default_serving",
    "has_content",
    "no_score",
    "parse_json_object",
    "parse_score",
    "prompts_for",
    "split_by_tokens",
    "with_answer",
]

T = TypeVar("T")

DEFAULT_SYSTEM_PROMPT = "You are a helpful agent."
DEFAULT_JUDGE_PROMPT = "Please evaluate the quality of this data on a scale from 1 to 5."


@functools.cache
def default_serving() -> LLMServing:
    """The embedded SmolLM2 engine, created once and shared by every operator without a serving.

    Imported here, on first use, so that building a pipeline that names its own serving never
    loads vLLM.
    """
    from streamflow.serving.vllm_backend import VLLMServing

    return VLLMServing()


async def ask_each(
    serving: LLMServing,
    prompts: Sequence[str | None],
    *,
    system_prompt: str = "",
    json_schema: dict[str, Any] | None = None,
    accept_truncated: bool = False,
) -> list[str | Failure | None]:
    """Send every prompt concurrently; ``None`` prompts are skipped (their answer is ``None``).

    A request that failed for good (:class:`LLMRequestError`) becomes a :class:`Failure` in its
    place, and so does an answer cut off at ``max_tokens`` (``finish_reason`` "length"), unless
    ``accept_truncated``: then its text is kept and counted in the step's ``truncated``
    statistic. A request that raised anything else (a broken answer, a bug in a backend) is made
    once more, alone, and if it raises again becomes a transient Failure naming the exception:
    the other rows keep their answers, and nothing else is asked again. A server that stops
    the run (:class:`RunStopped`) stops it.
    """
    return await _ask_all(
        serving,
        prompts,
        lambda completion: answer_text(completion, serving, accept_truncated),
        system_prompt=system_prompt,
        json_schema=json_schema,
    )


async def ask_samples(
    serving: LLMServing,
    prompts: Sequence[str | None],
    n: int,
    *,
    system_prompt: str = "",
    json_schema: dict[str, Any] | None = None,
    params: SamplingParams | None = None,
    accept_truncated: bool = False,
) -> list[list[str] | Failure | None]:
    """``n`` answers to each prompt in ONE request each (``SamplingParams(n=...)``: vLLM's and
    OpenAI's ``n``; ``params`` default to the serving's), all prompts concurrently, failing as
    :func:`ask_each` does; a serving that returns another number of samples fails the row.

    At temperature 0 decoding is greedy, so the ``n`` samples would be one answer ``n`` times
    (what ``n`` separate requests give, as in DataFlow): it is asked for once and repeated, as
    vLLM refuses ``n > 1`` for greedy sampling."""
    params = params or serving.params
    greedy = params.temperature == 0
    params = dataclasses.replace(params, n=1 if greedy else n)

    def read(completion: Completion) -> list[str] | Failure:
        if len(completion.texts) != params.n:
            return Failure(
                f"asked for {params.n} samples, the serving returned {len(completion.texts)}"
            )
        texts = answer_texts(completion, serving, accept_truncated)
        return texts * n if greedy and not isinstance(texts, Failure) else texts

    return await _ask_all(
        serving, prompts, read, system_prompt=system_prompt, json_schema=json_schema, params=params
    )


async def _ask_all(
    serving: LLMServing,
    prompts: Sequence[str | None],
    read: Callable[[Completion], T | Failure],
    *,
    system_prompt: str,
    json_schema: dict[str, Any] | None,
    params: SamplingParams | None = None,
) -> list[T | Failure | None]:
    answers: list[T | Failure | None] = [None] * len(prompts)

    async def one(i: int, prompt: str) -> None:
        for attempt in (1, 2):
            try:
                completion = await serving.complete(
                    prompt, system_prompt=system_prompt, json_schema=json_schema, params=params
                )
            except LLMRequestError as exc:
                answers[i] = Failure(exc.reason, transient=exc.transient)
                return
            except RunStopped:
                raise
            except Exception as exc:
                if attempt == 2:
                    answers[i] = Failure(
                        f"request raised {type(exc).__name__}: {exc} (twice)", transient=True
                    )
                continue
            answers[i] = read(completion)
            return

    try:
        async with anyio.create_task_group() as tg:
            for i, prompt in enumerate(prompts):
                if prompt is not None:
                    tg.start_soon(one, i, prompt)
    except BaseExceptionGroup as group:  # raise the error itself, not "unhandled errors in..."
        errors = group.exceptions
        raise next((e for e in errors if isinstance(e, RunStopped)), errors[0]) from None
    return answers


def answer_text(
    completion: Completion, serving: LLMServing, accept_truncated: bool = False
) -> str | Failure:
    """The first sample's text, or a :class:`Failure` when it was cut off at ``max_tokens``
    and truncated answers are not accepted (accepted ones count in the step's statistics)."""
    texts = answer_texts(completion, serving, accept_truncated, samples=1)
    return texts if isinstance(texts, Failure) else texts[0]


def answer_texts(
    completion: Completion,
    serving: LLMServing,
    accept_truncated: bool = False,
    *,
    samples: int | None = None,
) -> list[str] | Failure:
    """The texts of the first ``samples`` samples (all by default), or a :class:`Failure` when
    one was cut off at ``max_tokens`` and truncated answers are not accepted; accepted ones
    count in the step's statistics."""
    reasons = completion.finish_reasons[:samples]
    texts = completion.texts[:samples]
    cut = [i for i, reason in enumerate(reasons) if reason == "length"]
    if not cut:
        return list(texts)
    if not accept_truncated:
        which = "answer" if len(texts) == 1 else f"{len(cut)} of {len(texts)} sampled answers"
        return Failure(
            f"{which} cut off at max_tokens={serving.params.max_tokens} (finish_reason "
            f"'length'): raise max_tokens, or keep such answers (accept_truncated, "
            f"streamflow run --accept-truncated); "
            f"{texts[cut[0]][:60]!r}"
        )
    stats = current_stats.get()
    if isinstance(stats, OperatorStats):
        stats.truncated += len(cut)
    return list(texts)


def has_content(value: Any) -> bool:
    """Whether a field holds something worth a request (not missing, blank or empty)."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return value is not None


class LLMOperator:
    """The mixin of every LLM operator: its serving, and ``expensive`` (results kept on resume).

    ``accept_truncated`` (default False) keeps answers cut off at ``max_tokens`` instead of
    failing their rows: set it with :meth:`accept_truncated_answers` (the operators that write
    free text also take it as a constructor option).
    """

    expensive: ClassVar[bool] = True
    llm_serving: LLMServing
    accept_truncated: bool = False

    def _use(self, llm_serving: LLMServing | None) -> None:
        self.llm_serving = llm_serving if llm_serving is not None else default_serving()

    def accept_truncated_answers(self, accept: bool = True) -> Self:
        """Keep answers cut off at ``max_tokens`` (counted in ``truncated``) instead of failing
        their rows. Recorded in the configuration, so a resumed run with a different choice
        recomputes this step. Returns ``self`` for chaining."""
        self.accept_truncated = accept
        self._config["accept_truncated"] = accept  # type: ignore[attr-defined]
        return self

    async def ask(
        self,
        prompts: Sequence[str | None],
        *,
        system_prompt: str = "",
        json_schema: dict[str, Any] | None = None,
    ) -> list[str | Failure | None]:
        """:func:`ask_each` on this operator's serving, honouring ``accept_truncated``."""
        return await ask_each(
            self.llm_serving,
            prompts,
            system_prompt=system_prompt,
            json_schema=json_schema,
            accept_truncated=self.accept_truncated,
        )

    async def ask_samples(
        self,
        prompts: Sequence[str | None],
        n: int,
        *,
        system_prompt: str = "",
        json_schema: dict[str, Any] | None = None,
        params: SamplingParams | None = None,
    ) -> list[list[str] | Failure | None]:
        """:func:`ask_samples` on this operator's serving, honouring ``accept_truncated``."""
        return await ask_samples(
            self.llm_serving,
            prompts,
            n,
            system_prompt=system_prompt,
            json_schema=json_schema,
            params=params,
            accept_truncated=self.accept_truncated,
        )


_NUM = r"(\d+(?:\.\d+)?)(?!\w|\.\d)"
_OF = r"(?:\s*(?:/|out of)\s*\d+(?:\.\d+)?)?"  # "4/5", "4 out of 5": the reason starts after it
_LABELLED = re.compile(
    r"\b(?:score|rating|grade|rated?(?:\s+(?:it|this))?(?:\s+(?:a|an|as|at))?)\b"
    r"\W{0,6}?(?:(?:is|of)\W{0,4})?" + _NUM + _OF,
    re.I,
)
_FRACTION = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:/|out of)\s*\d+(?:\.\d+)?", re.I)
_LEADING = re.compile(r"^\W*?" + _NUM + _OF, re.I)
_NUMBER = re.compile(r"(?<![\w.])" + _NUM)
_RANGE = re.compile(r"(?<![\w.])\d+\s*(?:-|–|to)\s*\d+(?!\w)", re.I)
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S | re.I)


def parse_score(text: str, low: float, high: float) -> tuple[int | float, str] | None:
    """The score in a judge's answer, and the text after it (its reason); ``None`` if none.

    Tried in order: a JSON answer (a number, or an object with ``score``/``rating``); a
    labelled score ("Score: 4", "rating of **4**"); a fraction ("4/5", "4 out of 5"); a number
    opening the answer ("4. Clear and ..."); the only in-range number left once scale phrases
    ("1 to 5", "1-5") are removed. The score must lie in ``[low, high]``.
    """
    stripped = _unfence(text)
    try:
        data = json.loads(stripped)
    except ValueError:
        data = None
    if isinstance(data, int | float) and not isinstance(data, bool):
        return _in_range(float(data), "", low, high)
    if isinstance(data, dict):
        value = data.get("score", data.get("rating"))
        if isinstance(value, int | float) and not isinstance(value, bool):
            reason = data.get("reason", data.get("explanation", ""))
            return _in_range(float(value), str(reason), low, high)
    unscaled = _RANGE.sub(" ", stripped)
    for pattern in (_LABELLED, _FRACTION, _LEADING):
        match = pattern.search(unscaled)
        if match:
            return _in_range(float(match.group(1)), _reason(unscaled[match.end() :]), low, high)
    candidates = {float(m.group(1)) for m in _NUMBER.finditer(unscaled)}
    in_range = [c for c in candidates if low <= c <= high]
    if len(in_range) == 1:
        return _in_range(in_range[0], _reason(stripped), low, high)
    return None


def parse_json_object(text: str) -> dict[str, Any] | str:
    """The JSON object in an answer (code fences allowed), or why there is none."""
    try:
        data = json.loads(_unfence(text))
    except ValueError as exc:
        return f"invalid JSON ({exc.args[0] if exc.args else exc})"
    if not isinstance(data, dict):
        return f"JSON answer is a {type(data).__name__}, not an object"
    return data


def split_by_tokens(text: str, max_tokens: int, count: Callable[[str], int]) -> list[str]:
    """Halve ``text`` at the whitespace nearest its middle until each piece fits ``max_tokens``.

    The pieces, joined, give ``text`` back. Text without whitespace is cut at the middle.
    """
    if len(text) < 2 or count(text) <= max_tokens:
        return [text]
    middle = len(text) // 2
    before = max(text.rfind(c, 1, middle + 1) for c in " \n\t")
    after = min((i for c in " \n\t" if (i := text.find(c, middle, len(text) - 1)) > 0), default=-1)
    cuts = [i for i in (before, after) if 0 < i < len(text)]
    cut = min(cuts, key=lambda i: abs(i - middle)) if cuts else middle
    return split_by_tokens(text[:cut], max_tokens, count) + split_by_tokens(
        text[cut:], max_tokens, count
    )


def _unfence(text: str) -> str:
    match = _FENCE.match(text)
    return match.group(1) if match else text.strip()


def _in_range(value: float, reason: str, low: float, high: float) -> tuple[int | float, str] | None:
    if not low <= value <= high:
        return None
    return (int(value) if value.is_integer() else value), reason


def _reason(text: str) -> str:
    """The judge's words after its score, without the leading punctuation or label."""
    text = re.sub(r"^[\s*.:;,)\]/\-–—]*(?:reason\W*)?", "", text, flags=re.I)
    return " ".join(text.split())[:300]


def prompts_for(rows: list[Row], key: str, make: Callable[[str], str]) -> list[str | None]:
    """One prompt per row from its ``key`` field; ``None`` (no request) where it is empty."""
    return [make(as_text(r[key])) if has_content(r.get(key)) else None for r in rows]


def no_score(answer: str, score_range: tuple[float, float]) -> Failure:
    """The failure of a row whose answer holds no score in ``score_range`` (with the answer)."""
    low, high = score_range
    return Failure(f"no score in [{low:g}, {high:g}] in the answer: {answer[:120]!r}")


def with_answer(row: Row, key: str, answer: Any) -> Row | Failure:
    """``row`` with ``answer`` under ``key``, or the answer itself when it is a Failure."""
    return answer if isinstance(answer, Failure) else {**row, key: answer}
