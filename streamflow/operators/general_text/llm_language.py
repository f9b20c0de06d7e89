"""Language filtering by an LLM (DataFlow's ``LLMLanguageFilter``): the model names each text's
language (ISO 639-1) and rows in one of ``allowed_languages`` are kept.

The answer is read leniently ("en", "Language: en", "EN.", "`fr`" all give the code); the code is
written to ``output_key`` of kept rows. An answer of "unknown" drops the row with that reason; an
answer with no code in it fails the row (dead letter with the answer), where DataFlow compares
the raw answer with the allowed codes and drops anything else silently. An empty text is not
sent and is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from streamflow.actors.base import Filter
from streamflow.operators.general.llm import _LLMOperator, ask_each, has_content
from streamflow.operators.general_text.prompts import LanguageFilterPrompt
from streamflow.prompts.base import PromptTemplate
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["LLMLanguageFilter", "language_code"]

_CODE = re.compile(r"(?<![A-Za-z])([A-Za-z]{2})(?![A-Za-z])")
_UNKNOWN = re.compile(r"\bunknown\b", re.IGNORECASE)


def language_code(answer: str) -> str | None:
    """The ISO 639-1 code in a model's answer, ``"unknown"``, or None when there is none."""
    head = answer.strip().splitlines()[0] if answer.strip() else ""
    head = re.sub(r"^\s*language\s*[:：]\s*", "", head, flags=re.IGNORECASE)
    if _UNKNOWN.search(head):
        return "unknown"
    found = _CODE.search(head)
    return found.group(1).lower() if found else None


class LLMLanguageFilter(_LLMOperator, Filter):
    """Keeps rows whose language, as the LLM names it, is in ``allowed_languages`` (ISO 639-1).

    ``llm_serving`` defaults to the embedded model; ``prompt_template`` (ours; DataFlow's is
    fixed) takes :class:`LanguageFilterPrompt` or a DIY template with a ``text`` field.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (LanguageFilterPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        allowed_languages: Sequence[str] = ("en",),
        prompt_template: PromptTemplate | None = None,
    ) -> None:
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        if isinstance(allowed_languages, str):
            allowed_languages = [allowed_languages]
        self.allowed_languages = [code.strip().lower() for code in allowed_languages]
        if not self.allowed_languages:
            raise ValueError(f"{self.name}: allowed_languages is empty, so every row would drop")
        self.prompt_template = prompt_template or LanguageFilterPrompt()

    async def process(
        self, rows: list[Row], input_key: str = "text", output_key: str = "language_label"
    ) -> list[bool | tuple[bool, str] | Failure]:
        prompts = [
            self.prompt_template.build_prompt(text=row.get(input_key))
            if has_content(row.get(input_key))
            else None
            for row in rows
        ]
        answers = await ask_each(self.llm_serving, prompts)
        allowed = ", ".join(self.allowed_languages)
        out: list[bool | tuple[bool, str] | Failure] = []
        for row, answer in zip(rows, answers, strict=True):
            if answer is None:
                out.append((False, f"empty input field {input_key!r}"))
                continue
            if isinstance(answer, Failure):
                out.append(answer)
                continue
            code = language_code(answer)
            if code is None:
                out.append(Failure(f"no language code in the answer: {answer.strip()[:80]!r}"))
            elif code in self.allowed_languages:
                row[output_key] = code
                out.append(True)
            else:
                out.append((False, f"language {code} not in {allowed}"))
        return out
