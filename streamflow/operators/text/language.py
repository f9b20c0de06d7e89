"""Language identification with py3langid, whose model ships inside the package: nothing is
downloaded at run time (DataFlow and datatrove fetch fastText's lid.176 on first use).

py3langid recognises 97 languages by ISO 639-1 code ("en", "zh", "de", ...). Its confidence is
the normalised probability of the best language; on a paragraph of ordinary prose it is above
0.99, on a line of a few words it can fall under 0.5, so ``min_score`` mostly drops fragments.
Only the first ``max_chars`` characters are read: language is settled long before, and the cost
is linear in the length (about 0.1 ms per kilobyte).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from streamflow.actors.base import Filter, Generator
from streamflow.actors.registry import register_operator
from streamflow.operators.fields import text_field
from streamflow.rows import Row

DEFAULT_MAX_CHARS = 10_000


@functools.cache
def _identifier() -> Any:
    """The model, loaded once per process (about 0.3 s); classifying only reads it."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[str, float]:
    """``(language, confidence)`` of ``text``; ``("", 0.0)`` when it has no letters at all."""
    head = text[:max_chars]
    if not any(ch.isalpha() for ch in head):
        return "", 0.0
    language, score = _identifier().classify(head)
    return str(language), float(score)


def _language_code(name: str) -> str:
    """``"en"`` from ``"en"``, ``"EN"`` or fastText's ``"__label__en"`` (DataFlow's spelling)."""
    return name.removeprefix("__label__").strip().lower()


@register_operator("text")
class LanguageFilter(Filter):
    """Keeps rows whose text is in one of ``allowed_languages`` with confidence >= ``min_score``.

    DataFlow's ``LanguageFilter`` (fastText lid.176, labels like ``__label__en``); those labels
    are accepted and mean the same code here. ``output_key`` and ``output_score_key``, when
    bound, receive the language and its confidence on the rows it keeps; a dropped row's reason
    holds both. Text with no letters is dropped as ``no language``.
    """

    def __init__(
        self,
        allowed_languages: Sequence[str] = ("en",),
        min_score: float = 0.65,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        if isinstance(allowed_languages, str):
            allowed_languages = [allowed_languages]
        self.allowed = frozenset(_language_code(name) for name in allowed_languages)
        if not self.allowed:
            raise ValueError(f"{self.name}: allowed_languages is empty, so every row would drop")
        if not 0.0 <= min_score <= 1.0:
            raise ValueError(f"{self.name}: min_score must lie in [0, 1], not {min_score}")
        self.min_score = min_score
        self.max_chars = max_chars

    def process(
        self,
        rows: list[Row],
        input_key: str = "text",
        output_key: str | None = None,
        output_score_key: str | None = None,
    ) -> list[bool | tuple[bool, str]]:
        verdicts: list[bool | tuple[bool, str]] = []
        allowed = ", ".join(sorted(self.allowed))
        for row in rows:
            language, score = identify(text_field(self.name, row, input_key), self.max_chars)
            if output_key is not None:
                row[output_key] = language
            if output_score_key is not None:
                row[output_score_key] = score
            if not language:
                verdicts.append((False, "no language: the text has no letters"))
            elif language not in self.allowed:
                verdicts.append((False, f"language {language} ({score:.2f}) not in {allowed}"))
            elif score < self.min_score:
                verdicts.append(
                    (False, f"language {language} score {score:.2f} < {self.min_score}")
                )
            else:
                verdicts.append(True)
        return verdicts


@register_operator("text")
class LanguageIdentifier(Generator):
    """Writes the language of the text (``""`` when it has no letters) and its confidence.

    For annotating without dropping; :class:`LanguageFilter` identifies and filters in one step.
    """

    def __init__(self, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.max_chars = max_chars

    def process(
        self,
        rows: list[Row],
        input_key: str = "text",
        output_key: str = "language",
        output_score_key: str = "language_score",
    ) -> list[Row]:
        for row in rows:
            language, score = identify(text_field(self.name, row, input_key), self.max_chars)
            row[output_key] = language
            row[output_score_key] = score
        return rows
