"""The agent's questions to the model: one JSON answer per question, constrained by a schema.

:class:`Asker` sends each question through streamflow's serving with ``json_schema`` (guided
decoding in vLLM, ``response_format`` on an OpenAI-compatible server), parses the answer, checks
it against the schema, and counts calls, tokens and seconds. An answer that cannot be read or
does not fit the schema is ``None``: every node has a rule-based fallback, so a weak model slows
the agent down but does not stop it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from streamflow.serving.base import LLMRequestError, LLMServing, SamplingParams

__all__ = ["Asker", "Cost"]

SYSTEM = (
    "You help build data-preparation pipelines from a library of operators. Answer with JSON "
    "only, exactly in the requested format."
)


@dataclass
class Cost:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    unreadable: int = 0
    """Answers that were not JSON of the asked shape."""
    started: float = field(default_factory=time.monotonic)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "unreadable_answers": self.unreadable,
            "seconds": round(self.seconds, 2),
        }


class Asker:
    def __init__(self, serving: LLMServing, *, max_tokens: int = 384) -> None:
        self.serving = serving
        self.params = SamplingParams(temperature=0.0, max_tokens=max_tokens)
        self.cost = Cost()

    async def ask(
        self, prompt: str, schema: dict[str, Any], *, max_tokens: int | None = None
    ) -> dict[str, Any] | None:
        """The model's answer to ``prompt`` as a dict fitting ``schema``, or None
        (``max_tokens`` for a longer answer than usual, e.g. code)."""
        self.cost.calls += 1
        params = self.params
        if max_tokens is not None:
            params = SamplingParams(temperature=params.temperature, max_tokens=max_tokens)
        try:
            completion = await self.serving.complete(
                prompt, system_prompt=SYSTEM, json_schema=schema, params=params
            )
        except LLMRequestError:
            self.cost.unreadable += 1
            return None
        self.cost.prompt_tokens += completion.usage.prompt_tokens
        self.cost.completion_tokens += completion.usage.completion_tokens
        try:
            answer = json.loads(_json_part(completion.text))
            jsonschema.validate(answer, schema)
        except (ValueError, jsonschema.ValidationError):
            self.cost.unreadable += 1
            return None
        return answer if isinstance(answer, dict) else None


def _json_part(text: str) -> str:
    """The JSON object in ``text`` (a model may wrap it in prose or a code fence)."""
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if 0 <= start < end else text
