"""DataFlow's core_text LLM operators: generate, refine, filter and evaluate rows with an LLM.

Each keeps DataFlow's name, constructor parameters and keys (``dataflow/operators/core_text``).
Common to all of them:

- One request per row (per chunk, for the chunked generator); a batch's requests go out
  concurrently and the serving's admission limit bounds how many are in flight, so a saturated
  model holds the batch back and the channels upstream fill: backpressure, not a queue.
- A request that failed for good (:class:`LLMRequestError`) or an answer the operator cannot use
  (no score, invalid JSON) fails that row alone: it goes to the dead letters with the reason.
  Nothing falls back to a silent default (DataFlow scores an unparsable answer 0).
- Without ``llm_serving`` they use the embedded default model, one engine shared by all.
- An empty or missing input is not sent: generators write ``""``, the refiner leaves the row
  as it is, the filter drops it, the evaluator and the JSON generator fail it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import anyio

from streamflow.actors.base import Filter, Generator, Refiner, SampleEvaluator
from streamflow.actors.registry import register_operator
from streamflow.prompts.base import DIYPromptABC, FormatStrPrompt, PromptFieldError, as_text
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMRequestError, LLMServing
from streamflow.serving.tokens import token_counter

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
) -> list[str | Failure | None]:
    """Send every prompt concurrently; ``None`` prompts are skipped (their answer is ``None``).

    A request that failed for good becomes a :class:`Failure` in its place.
    """
    answers: list[str | Failure | None] = [None] * len(prompts)

    async def one(i: int, prompt: str) -> None:
        try:
            completion = await serving.complete(
                prompt, system_prompt=system_prompt, json_schema=json_schema
            )
        except LLMRequestError as exc:
            answers[i] = Failure(exc.reason, transient=exc.transient)
        else:
            answers[i] = completion.text

    async with anyio.create_task_group() as tg:
        for i, prompt in enumerate(prompts):
            if prompt is not None:
                tg.start_soon(one, i, prompt)
    return answers


def has_content(value: Any) -> bool:
    """Whether a field holds something worth a request (not missing, blank or empty)."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return value is not None


class _LLMOperator:
    """What every operator here shares: the serving and ``expensive`` (results kept on resume)."""

    expensive: ClassVar[bool] = True
    llm_serving: LLMServing

    def _use(self, llm_serving: LLMServing | None) -> None:
        self.llm_serving = llm_serving if llm_serving is not None else default_serving()


@register_operator("general")
class PromptedGenerator(_LLMOperator, Generator):
    """Writes the model's answer to ``user_prompt`` + the input field into ``output_key``.

    ``system_prompt`` goes as the system message; ``json_schema`` constrains the answer.
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        user_prompt: str = "",
        json_schema: dict[str, Any] | None = None,
    ) -> None:
        self._use(llm_serving)
        self.system_prompt = system_prompt
        self.user_prompt = user_prompt
        self.json_schema = json_schema

    async def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "generated_content"
    ) -> list[Row | Failure]:
        prompts = _prompts(rows, input_key, lambda text: self.user_prompt + text)
        answers = await ask_each(
            self.llm_serving,
            prompts,
            system_prompt=self.system_prompt,
            json_schema=self.json_schema,
        )
        return [
            _with(row, output_key, answer or "") for row, answer in zip(rows, answers, strict=True)
        ]


@register_operator("general")
class PromptedRefiner(_LLMOperator, Refiner):
    """Rewrites the input field with the model's answer to ``system_prompt`` + the field.

    As in DataFlow, the instruction and the text go together in the user message.
    """

    def __init__(
        self, llm_serving: LLMServing | None = None, system_prompt: str = DEFAULT_SYSTEM_PROMPT
    ) -> None:
        self._use(llm_serving)
        self.system_prompt = system_prompt

    async def process(self, rows: list[Row], input_key: str = "raw_content") -> list[Row | Failure]:
        prompts = _prompts(rows, input_key, lambda text: f"{self.system_prompt}\n\n{text}")
        answers = await ask_each(self.llm_serving, prompts)
        return [
            row if answer is None else _with(row, input_key, answer)
            for row, answer in zip(rows, answers, strict=True)
        ]


@register_operator("general")
class PromptedEvaluator(_LLMOperator, SampleEvaluator):
    """Writes the model's quality score of the input field into ``output_key``.

    The score is parsed robustly (see :func:`parse_score`) and must lie in ``score_range``
    (DataFlow's fixed 1..5 by default); an answer without one fails the row, with the answer
    in the reason.
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = DEFAULT_JUDGE_PROMPT,
        score_range: tuple[float, float] = (1, 5),
    ) -> None:
        self._use(llm_serving)
        self.system_prompt = system_prompt
        self.score_range = score_range

    async def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "eval"
    ) -> list[Row | Failure]:
        ask = "Reply with the score only."
        prompts = _prompts(rows, input_key, lambda text: f"{self.system_prompt}\n\n{text}\n\n{ask}")
        answers = await ask_each(self.llm_serving, prompts)
        out: list[Row | Failure] = []
        for row, answer in zip(rows, answers, strict=True):
            if answer is None:
                out.append(Failure(f"empty input field {input_key!r}"))
            elif isinstance(answer, Failure):
                out.append(answer)
            else:
                found = parse_score(answer, *self.score_range)
                out.append(
                    _with(row, output_key, found[0])
                    if found
                    else _no_score(answer, self.score_range)
                )
        return out


@register_operator("general")
class PromptedFilter(_LLMOperator, Filter):
    """An LLM judge: keeps rows whose score lies in ``[min_score, max_score]``.

    The model is asked for a score and a one-sentence reason; a dropped row records both. The
    score is written to ``output_key`` of the rows kept. An answer without a score fails the
    row (DataFlow scores it 0, which its default range then drops silently).
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = DEFAULT_JUDGE_PROMPT,
        min_score: float = 1,
        max_score: float = 5,
        score_range: tuple[float, float] = (1, 5),
    ) -> None:
        self._use(llm_serving)
        self.system_prompt = system_prompt
        self.min_score = min_score
        self.max_score = max_score
        self.score_range = score_range

    async def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "eval"
    ) -> list[bool | tuple[bool, str] | Failure]:
        ask = "Reply with the score first, then one short sentence giving your reason."
        prompts = _prompts(rows, input_key, lambda text: f"{self.system_prompt}\n\n{text}\n\n{ask}")
        answers = await ask_each(self.llm_serving, prompts)
        out: list[bool | tuple[bool, str] | Failure] = []
        for row, answer in zip(rows, answers, strict=True):
            if answer is None:
                out.append((False, f"empty input field {input_key!r}"))
            elif isinstance(answer, Failure):
                out.append(answer)
            elif (found := parse_score(answer, *self.score_range)) is None:
                out.append(_no_score(answer, self.score_range))
            else:
                score, reason = found
                row[output_key] = score
                keep = self.min_score <= score <= self.max_score
                why = f"score {score} outside [{self.min_score}, {self.max_score}]"
                out.append(True if keep else (False, f"{why}: {reason}" if reason else why))
        return out


@register_operator("general")
class FormatStrPromptedGenerator(_LLMOperator, Generator):
    """Fills a :class:`FormatStrPrompt` (or a DIY template) from several fields per row.

    As in DataFlow, ``run()`` maps each template field to a row field by keyword:
    ``op.run(storage.step(), output_key="answer", question="q_text", context="doc")``. A
    template field that ``run()`` does not map is a compile-time error.
    """

    ALLOWED_PROMPTS = (FormatStrPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        prompt_template: FormatStrPrompt | DIYPromptABC | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> None:
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self.system_prompt = system_prompt
        self.prompt_template = prompt_template if prompt_template is not None else FormatStrPrompt()
        self.json_schema = json_schema

    def run(self, storage: Any, **keys: Any) -> None:
        """Record the field mapping as ``input_<field>`` keys, so the plan sees what is read."""
        bound = {k: keys.pop(k) for k in ("output_key", "overwrite") if k in keys}
        missing = [f for f in self.prompt_template.fields if f not in keys]
        if missing:
            raise PromptFieldError(
                f"{self.name}: prompt template field {missing[0]!r} is not mapped to a row "
                f"field; pass {missing[0]}='<field>' to run()"
            )
        super().run(storage, **bound, **{f"input_{f}": column for f, column in keys.items()})

    async def process(
        self, rows: list[Row], output_key: str = "generated_content", **input_fields: str
    ) -> list[Row | Failure]:
        mapping = {key.removeprefix("input_"): column for key, column in input_fields.items()}
        prompts: list[str | None] = []
        failures: dict[int, Failure] = {}
        for i, row in enumerate(rows):
            absent = [column for column in mapping.values() if column not in row]
            try:
                if absent:
                    raise PromptFieldError(f"row has no field {absent[0]!r}")
                fields = {f: row[column] for f, column in mapping.items()}
                prompts.append(self.prompt_template.build_prompt(**fields))
            except PromptFieldError as exc:
                failures[i] = Failure(str(exc))
                prompts.append(None)
        answers = await ask_each(
            self.llm_serving,
            prompts,
            system_prompt=self.system_prompt,
            json_schema=self.json_schema,
        )
        return [
            failures.get(i) or _with(row, output_key, answer or "")
            for i, (row, answer) in enumerate(zip(rows, answers, strict=True))
        ]


@register_operator("general")
class ChunkedPromptedGenerator(_LLMOperator, Generator):
    """Generates from inputs too long for one request: split, one request per chunk, joined.

    Text is halved at the whitespace nearest its middle until every chunk has at most
    ``max_chunk_len`` tokens (DataFlow halves at the middle character). Tokens are counted with
    ``enc`` (anything with ``encode(text)``, e.g. a tiktoken encoding or a Hugging Face
    tokenizer), else with the serving's ``tokenizer`` when it exposes one, else estimated at
    four UTF-8 bytes a token. Each chunk is sent as ``system_prompt`` + newline + chunk; the
    answers are joined with ``separator``. A row fails if any of its chunks does.

    Bind either ``input_key``/``output_key`` (text in, text out) or, as in DataFlow,
    ``input_path_key``/``output_path_key`` (a file path in; the answers are written to
    ``<stem>_llm_output.txt`` beside it and that path goes out).
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        json_schema: dict[str, Any] | None = None,
        max_chunk_len: int = 128000,
        enc: Any = None,
        separator: str = "\n",
    ) -> None:
        if max_chunk_len < 1:
            raise ValueError(f"max_chunk_len must be >= 1, got {max_chunk_len}")
        self._use(llm_serving)
        self.system_prompt = system_prompt
        self.json_schema = json_schema
        self.max_chunk_len = max_chunk_len
        self.enc = enc
        self.separator = separator

    def run(self, storage: Any, **keys: Any) -> None:
        """Check that exactly one of the two bindings is used, and complete it."""
        by_text = keys.get("input_key") is not None
        by_path = keys.get("input_path_key") is not None
        if by_text == by_path:
            raise ValueError(
                f"{self.name}.run needs exactly one of input_key=... (text) or "
                "input_path_key=... (a file path)"
            )
        if by_text:
            keys.setdefault("output_key", "generated_content")
        elif keys.get("output_path_key") is None:
            raise ValueError(f"{self.name}.run with input_path_key needs output_path_key=...")
        super().run(storage, **keys)

    async def process(
        self,
        rows: list[Row],
        input_key: str | None = None,
        output_key: str | None = None,
        input_path_key: str | None = None,
        output_path_key: str | None = None,
    ) -> list[Row | Failure]:
        count = token_counter(self.llm_serving, self.enc)
        texts: list[str | Failure] = []
        for row in rows:
            if input_path_key is not None:
                texts.append(await _read(row.get(input_path_key)))
            else:
                value = row.get(input_key or "")
                texts.append(as_text(value) if value is not None else "")
        chunked = [
            split_by_tokens(t, self.max_chunk_len, count) if isinstance(t, str) and t else []
            for t in texts
        ]
        prompts = [f"{self.system_prompt}\n{c}" for chunks in chunked for c in chunks]
        answers = iter(await ask_each(self.llm_serving, prompts, json_schema=self.json_schema))
        out: list[Row | Failure] = []
        for row, text, chunks in zip(rows, texts, chunked, strict=True):
            parts = [next(answers) for _ in chunks]
            failure = text if isinstance(text, Failure) else _first_failure(parts)
            if failure is not None:
                out.append(failure)
                continue
            joined = self.separator.join(str(p) for p in parts)
            if input_path_key is not None and output_path_key is not None:
                source = Path(str(row[input_path_key]))
                target = source.with_name(f"{source.stem}_llm_output.txt")
                await anyio.Path(target).write_text(joined, encoding="utf-8")
                out.append(_with(row, output_path_key, str(target)))
            else:
                out.append(_with(row, output_key or "generated_content", joined))
        return out


@register_operator("general")
class JsonPromptedGenerator(_LLMOperator, Generator):
    """One schema-constrained answer per row fills several output fields.

    ``json_schema`` describes a JSON object; the serving enforces it (structured decoding on
    vLLM, ``response_format`` over HTTP). Each of ``output_keys`` (by default every property of
    the schema) receives the property of the same name. An answer that is not a JSON object or
    lacks one of those properties fails the row, with the reason. Not in DataFlow, whose
    pipelines generate JSON text and parse it in a later step.
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        json_schema: dict[str, Any],
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        user_prompt: str = "",
    ) -> None:
        properties = json_schema.get("properties")
        if (
            json_schema.get("type") != "object"
            or not isinstance(properties, dict)
            or not properties
        ):
            raise ValueError(
                f"{type(self).__name__} needs a JSON schema of an object with properties, "
                f"got {json_schema!r}"
            )
        self._use(llm_serving)
        self.json_schema = json_schema
        self.system_prompt = system_prompt
        self.user_prompt = user_prompt
        self.properties = tuple(properties)

    def run(self, storage: Any, **keys: Any) -> None:
        """Default ``output_keys`` to the schema's properties, so the plan knows what is written."""
        output_keys = keys.get("output_keys") or list(self.properties)
        output_keys = [output_keys] if isinstance(output_keys, str) else list(output_keys)
        unknown = [k for k in output_keys if k not in self.properties]
        if unknown:
            raise ValueError(
                f"{self.name}: output key {unknown[0]!r} is not a property of the schema "
                f"({', '.join(self.properties)})"
            )
        super().run(storage, **{**keys, "output_keys": output_keys})

    async def process(
        self, rows: list[Row], input_key: str = "raw_content", output_keys: list[str] | None = None
    ) -> list[Row | Failure]:
        keys = list(output_keys or self.properties)
        prompts = _prompts(rows, input_key, lambda text: self.user_prompt + text)
        answers = await ask_each(
            self.llm_serving,
            prompts,
            system_prompt=self.system_prompt,
            json_schema=self.json_schema,
        )
        out: list[Row | Failure] = []
        for row, answer in zip(rows, answers, strict=True):
            if answer is None:
                out.append(Failure(f"empty input field {input_key!r}"))
            elif isinstance(answer, Failure):
                out.append(answer)
            else:
                out.append(_fill(row, answer, keys))
        return out


# -- answers -------------------------------------------------------------------------------

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


def _first_failure(parts: list[str | Failure | None]) -> Failure | None:
    for k, part in enumerate(parts):
        if isinstance(part, Failure):
            return Failure(f"chunk {k + 1}/{len(parts)}: {part.reason}")
    return None


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


def _prompts(rows: list[Row], key: str, make: Callable[[str], str]) -> list[str | None]:
    """One prompt per row from its ``key`` field; ``None`` (no request) where it is empty."""
    return [make(as_text(r[key])) if has_content(r.get(key)) else None for r in rows]


def _no_score(answer: str, score_range: tuple[float, float]) -> Failure:
    low, high = score_range
    return Failure(f"no score in [{low:g}, {high:g}] in the answer: {answer[:120]!r}")


def _fill(row: Row, answer: str, keys: list[str]) -> Row | Failure:
    data = parse_json_object(answer)
    if isinstance(data, str):
        return Failure(f"{data}: {answer[:120]!r}")
    missing = [k for k in keys if k not in data]
    if missing:
        return Failure(f"JSON answer lacks {', '.join(map(repr, missing))}: {answer[:120]!r}")
    return {**row, **{k: data[k] for k in keys}}


def _with(row: Row, key: str, answer: Any) -> Row | Failure:
    return answer if isinstance(answer, Failure) else {**row, key: answer}


async def _read(path: Any) -> str | Failure:
    if not has_content(path):
        return Failure("no file path in the input field")
    try:
        return await anyio.Path(str(path)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Failure(f"cannot read {path}: {exc}")
