"""Language identification, shared by LanguageFilter and LanguageIdentifier: py3langid, whose
model ships inside the package, so nothing is downloaded at run time (DataFlow and datatrove
fetch fastText's lid.176 on first use).

py3langid recognises 97 languages by ISO 639-1 code ("en", "zh", "de", ...). Its confidence is
the normalised probability of the best language; on a paragraph of ordinary prose it is above
0.99, on a line of a few words it can fall under 0.5, so ``min_score`` mostly drops fragments.
Only the first ``max_chars`` characters are read: language is settled long before, and the cost
is linear in the length (about 0.1 ms per kilobyte).
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["DEFAULT_MAX_CHARS", "identify", "language_code"]

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


def language_code(name: str) -> str:
    """``"en"`` from ``"en"``, ``"EN"`` or fastText's ``"__label__en"`` (DataFlow's spelling)."""
    return name.removeprefix("__label__").strip().lower()
