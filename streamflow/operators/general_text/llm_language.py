"""Language filtering by an LLM (DataFlow's ``LLMLanguageFilter``): the model names each text's
language (ISO 639-1) and rows in one of ``allowed_languages`` are kept.

The answer is read leniently ("en", "Language: en", "EN.", "`fr`", "English" all give the
code; see :func:`language_code`); the code is written to ``output_key`` of kept rows. An answer
of "unknown" drops the row with that reason; an answer with no code in it fails the row (dead
letter with the answer), where DataFlow compares the raw answer with the allowed codes and drops
anything else silently. An empty text is not sent and is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from streamflow.actors.base import Filter
from streamflow.operators.general_text.prompts import LanguageFilterPrompt
from streamflow.operators.llm import LLMOperator, has_content
from streamflow.prompts.base import PromptTemplate
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["ISO_639_1", "LLMLanguageFilter", "language_code"]

_CODES = """
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da
de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz
ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln
lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi
pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti
tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
"""
ISO_639_1 = frozenset(_CODES.split())
NAMES: dict[str, str] = {
    "english": "en", "chinese": "zh", "mandarin": "zh", "spanish": "es", "french": "fr",
    "german": "de", "japanese": "ja", "russian": "ru", "arabic": "ar", "portuguese": "pt",
    "italian": "it", "korean": "ko", "dutch": "nl", "hindi": "hi", "turkish": "tr",
    "polish": "pl", "swedish": "sv", "vietnamese": "vi", "indonesian": "id", "greek": "el",
    "czech": "cs", "ukrainian": "uk", "hebrew": "he", "thai": "th", "persian": "fa",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


def language_code(answer: str) -> str | None:
    """The ISO 639-1 code a model's answer gives, ``"unknown"``, or None when it gives none.

    The answer's first line, after an optional ``Language:``, is a code alone ("en", "`fr`.",
    "DE") or names a language ("English", "It is French"); two letters inside a sentence
    ("of", "it") are not taken for a code.
    """
    head = answer.strip().splitlines()[0] if answer.strip() else ""
    head = re.sub(r"^\s*language\s*[:：]?\s*", "", head, flags=re.IGNORECASE)
    words: list[str] = [w.lower() for w in _WORD.findall(head)]
    if len(words) == 1 and words[0] in ISO_639_1:
        return words[0]
    if "unknown" in words:
        return "unknown"
    return next((NAMES[w] for w in words if w in NAMES), None)


class LLMLanguageFilter(LLMOperator, Filter):
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
        answers = await self.ask(prompts)
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
