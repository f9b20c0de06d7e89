"""Gopher's MassiveWeb quality rules (Rae et al. 2021, app. A.1.1).

Common behaviour: see :mod:`streamflow.operators.web._web_filter`.
"""

from __future__ import annotations

from collections.abc import Sequence

from streamflow.operators.web._web_filter import Rules, _WebFilter, above, below, nonblank_lines
from streamflow.operators.web.tokens import has_letter, is_word, web_words

__all__ = ["GOPHER_STOP_WORDS", "GopherQualityFilter"]

GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
_BULLETS = ("-", "•", "‣", "◦", "▪", "▫", "●", "○", "■", "□", "►", "▶", "➢", "*")
_ELLIPSES = ("...", "…")


class GopherQualityFilter(_WebFilter):
    """Gopher's MassiveWeb quality filter (Rae et al. 2021, "Scaling Language Models", app. A.1.1).

    Keeps a document when all of these hold (defaults are the paper's; limits are inclusive,
    so a document exactly at one is kept):

    - ``min_words`` (50) <= words <= ``max_words`` (100,000);
    - ``min_mean_word_length`` (3) <= mean word length <= ``max_mean_word_length`` (10);
    - "#" per token <= ``max_symbol_word_ratio`` (0.1), and the same for ellipses ("...", "…");
    - lines starting with a bullet <= ``max_bullet_lines_ratio`` (0.9) of the lines;
    - lines ending with an ellipsis <= ``max_ellipsis_lines_ratio`` (0.3) of the lines;
    - tokens containing a letter >= ``min_alpha_words_ratio`` (0.8) of the tokens;
    - at least ``min_stop_words`` (2) distinct words of ``stop_words`` (the, be, to, of, and,
      that, have, with), matched case-sensitively as datatrove does: English prose always has
      "the" and "of" in lower case, while a German page with an English title ("The Sound of
      ...") would pass on its capitalised ones if case were folded.

    Words and tokens are :func:`web_words`'s (see the module docstring): word count and mean
    length take words only, the "#", ellipsis and letter ratios divide by every token,
    punctuation included, as datatrove does. Lines are the non-blank lines. The bullets are
    ``- • ‣ ◦ ▪ ▫ ● ○ ■ □ ► ▶ ➢ *`` (datatrove checks "•" and "-" only). The stop words make
    the filter English-only, as in the paper; pass another language's list to use it elsewhere.
    Measurements: ``words``, ``mean_word_length``, ``hash_ratio``, ``ellipsis_ratio``,
    ``bullet_lines_ratio``, ``ellipsis_lines_ratio``, ``alpha_words_ratio``, ``stop_words``.
    """

    prefix = "gopher"

    def __init__(
        self,
        min_words: int = 50,
        max_words: int = 100_000,
        min_mean_word_length: float = 3,
        max_mean_word_length: float = 10,
        max_symbol_word_ratio: float = 0.1,
        max_bullet_lines_ratio: float = 0.9,
        max_ellipsis_lines_ratio: float = 0.3,
        min_alpha_words_ratio: float = 0.8,
        min_stop_words: int = 2,
        stop_words: Sequence[str] = GOPHER_STOP_WORDS,
    ) -> None:
        self.min_words = min_words
        self.max_words = max_words
        self.min_mean_word_length = min_mean_word_length
        self.max_mean_word_length = max_mean_word_length
        self.max_symbol_word_ratio = max_symbol_word_ratio
        self.max_bullet_lines_ratio = max_bullet_lines_ratio
        self.max_ellipsis_lines_ratio = max_ellipsis_lines_ratio
        self.min_alpha_words_ratio = min_alpha_words_ratio
        self.min_stop_words = min_stop_words
        self._stop_words = frozenset(stop_words)

    def _rules(self, text: str) -> Rules:
        tokens = web_words(text)
        words = list(filter(is_word, tokens))
        n = len(words)
        yield (
            "words",
            n,
            below("{} words", n, self.min_words) or above("{} words", n, self.max_words),
        )
        mean = sum(map(len, words)) / n if n else 0.0
        label = "mean word length"
        yield (
            "mean_word_length",
            mean,
            (
                below(label, mean, self.min_mean_word_length)
                or above(label, mean, self.max_mean_word_length)
            ),
        )
        n_tokens = len(tokens) or 1
        ratio = text.count("#") / n_tokens
        yield "hash_ratio", ratio, above("'#' per token", ratio, self.max_symbol_word_ratio)
        ratio = (text.count("...") + text.count("…")) / n_tokens
        yield (
            "ellipsis_ratio",
            ratio,
            above("ellipses per token", ratio, self.max_symbol_word_ratio),
        )
        lines = nonblank_lines(text)
        n_lines = len(lines) or 1
        ratio = sum(1 for line in lines if line.lstrip().startswith(_BULLETS)) / n_lines
        label = "lines starting with a bullet"
        yield "bullet_lines_ratio", ratio, above(label, ratio, self.max_bullet_lines_ratio)
        ratio = sum(1 for line in lines if line.rstrip().endswith(_ELLIPSES)) / n_lines
        label = "lines ending with an ellipsis"
        yield "ellipsis_lines_ratio", ratio, above(label, ratio, self.max_ellipsis_lines_ratio)
        ratio = sum(1 for _ in filter(has_letter, tokens)) / n_tokens
        label = "tokens with a letter"
        yield "alpha_words_ratio", ratio, below(label, ratio, self.min_alpha_words_ratio)
        k = len(self._stop_words.intersection(words))
        yield "stop_words", k, below("{} distinct stop words", k, self.min_stop_words)
