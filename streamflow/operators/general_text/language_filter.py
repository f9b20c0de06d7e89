"""Language filtering: keep the rows written in the languages a corpus wants."""

from __future__ import annotations

from collections.abc import Sequence

from streamflow.actors.base import Filter
from streamflow.operators.fields import text_field
from streamflow.operators.language_id import DEFAULT_MAX_CHARS, identify, language_code
from streamflow.rows import Row

__all__ = ["LanguageFilter"]


class LanguageFilter(Filter):
    """Keeps rows whose text is in one of ``allowed_languages`` with confidence >= ``min_score``.

    DataFlow's ``LanguageFilter``. Its labels are accepted and mean the same language here:
    fastText lid.176's ``__label__en`` and the NLLB model's ``__label__eng_Latn`` (DataFlow's
    default). Differences kept on purpose: the model is py3langid's, shipped in its package
    (DataFlow downloads fastText's, into ``model_cache_dir``, accepted and unused here), and a
    row is kept when its most likely language is allowed with ``min_score`` confidence, where
    DataFlow keeps it when an allowed language is among the five most likely, however unlikely.
    ``output_key`` gets DataFlow's 0/1 keep label under DataFlow's name (``language_label``) by
    default, so it is 1 on every row that survives (``None`` writes nothing). Not in DataFlow:
    ``output_language_key`` and ``output_score_key``, when bound, receive the language and its
    confidence; a dropped row's reason holds both. Text with no letters is dropped as
    ``no language``.
    """

    def __init__(
        self,
        allowed_languages: Sequence[str] = ("en",),
        min_score: float = 0.65,
        max_chars: int = DEFAULT_MAX_CHARS,
        model_cache_dir: str | None = None,
    ) -> None:
        if isinstance(allowed_languages, str):
            allowed_languages = [allowed_languages]
        self.allowed = frozenset(language_code(name) for name in allowed_languages)
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
        output_key: str | None = "language_label",
        output_language_key: str | None = None,
        output_score_key: str | None = None,
    ) -> list[bool | tuple[bool, str]]:
        verdicts: list[bool | tuple[bool, str]] = []
        for row in rows:
            language, score = identify(text_field(self.name, row, input_key), self.max_chars)
            verdict = self.verdict(language, score)
            if output_key is not None:
                row[output_key] = int(verdict is True)
            if output_language_key is not None:
                row[output_language_key] = language
            if output_score_key is not None:
                row[output_score_key] = score
            verdicts.append(verdict)
        return verdicts

    def verdict(self, language: str, score: float) -> bool | tuple[bool, str]:
        """Keep, or drop with why, a text identified as ``language`` with ``score``."""
        if not language:
            return False, "no language: the text has no letters"
        if language not in self.allowed:
            allowed = ", ".join(sorted(self.allowed))
            return False, f"language {language} ({score:.2f}) not in {allowed}"
        if score < self.min_score:
            return False, f"language {language} score {score:.2f} < {self.min_score}"
        return True
