"""C4's rules (Raffel et al. 2020, sec. 2.2): the page filter and the line refiner, which share
their line rules and parameters.

Common behaviour: see :mod:`streamflow.operators.web._web_filter`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from streamflow.operators.text_refiner import TextRefiner
from streamflow.operators.web._web_filter import Rules, _WebFilter
from streamflow.operators.web.tokens import TOKEN, is_word

__all__ = ["C4_END_MARKS", "C4_POLICY_PHRASES", "C4LineRefiner", "C4QualityFilter"]

C4_POLICY_PHRASES = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
C4_END_MARKS = (".", "?", "!", '"')
_CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
_SENTENCE_ENDS = frozenset(".!?。！？｡．")


def _sentences(line: str) -> int:
    """Sentences in ``line``: a new one starts at the first word after a token that is a
    sentence-ending mark (``.``, ``!``, ``?`` and CJK ones), as spaCy's sentencizer splits."""
    n = 1
    after_end = False
    for token in TOKEN.findall(line):
        if token in _SENTENCE_ENDS:
            after_end = True
        elif after_end and is_word(token):
            n += 1
            after_end = False
    return n


class _C4Rules:
    """C4's line rules, shared by :class:`C4QualityFilter` and :class:`C4LineRefiner`."""

    def __init__(
        self,
        min_words_per_line: int,
        min_sentences: int,
        max_word_length: int,
        end_marks: Sequence[str],
        remove_citations: bool,
        policy_phrases: Sequence[str],
    ) -> None:
        self.min_words_per_line = min_words_per_line
        self.min_sentences = min_sentences
        self.max_word_length = max_word_length
        self.end_marks = tuple(end_marks)
        self.remove_citations = remove_citations
        self.policy_phrases = tuple(p.lower() for p in policy_phrases)

    def clean(self, text: str) -> tuple[list[str], int, int, str | None]:
        """(kept lines, their sentences, lines read, why the whole page goes or None)."""
        kept: list[str] = []
        sentences = 0
        lines = text.splitlines()
        for raw in lines:
            line = raw.strip()
            if not line:
                continue
            if self.max_word_length >= 0 and any(
                len(w) > self.max_word_length for w in line.split()
            ):
                continue
            if self.remove_citations and "[" in line:
                line = _CITATION.sub("", line)
            if not line.endswith(self.end_marks) or line.endswith("..."):
                continue
            if len(line.split()) < self.min_words_per_line:
                continue
            lower = line.lower()
            if "lorem ipsum" in lower:
                return kept, sentences, len(lines), "'lorem ipsum' in the text"
            if "javascript" in lower:
                continue
            if "{" in line:
                return kept, sentences, len(lines), "curly bracket '{' in the text"
            if any(p in lower for p in self.policy_phrases):
                continue
            sentences += _sentences(line)
            kept.append(line)
        return kept, sentences, len(lines), None


class _C4Operator:
    """The parameters C4QualityFilter and C4LineRefiner share (they mean the same in both)."""

    def __init__(
        self,
        min_words_per_line: int = 5,
        min_sentences: int = 3,
        max_word_length: int = 1000,
        end_marks: Sequence[str] = C4_END_MARKS,
        remove_citations: bool = True,
        policy_phrases: Sequence[str] = C4_POLICY_PHRASES,
    ) -> None:
        self._c4 = _C4Rules(
            min_words_per_line,
            min_sentences,
            max_word_length,
            end_marks,
            remove_citations,
            policy_phrases,
        )


class C4QualityFilter(_C4Operator, _WebFilter):
    """C4's page rules (Raffel et al. 2020, "Exploring the Limits of Transfer Learning", sec. 2.2).

    C4 cleans a page line by line, then keeps the page only if enough is left. As in C4's
    reference implementation (``tensorflow_datasets/text/c4_utils.py``, ``clean_page``), each
    line is stripped and dropped when it has a word longer than ``max_word_length`` (1000); has
    its citation markers ("[1]", "[edit]", "[citation needed]") removed; is dropped unless it
    ends in a terminal mark of ``end_marks`` (``. ? ! "``, not an ellipsis "..."), has
    ``min_words_per_line`` (5) whitespace-separated words, and mentions neither "javascript"
    nor a policy phrase ("terms of use", "privacy policy", "cookie policy", "uses cookies",
    "use of cookies", "use cookies"), case-insensitively. The page is dropped when a line
    that survives those rules contains "lorem ipsum" (any case) or a curly bracket "{", or
    when the surviving lines hold fewer than ``min_sentences`` (3) sentences. The numbers are
    the paper's and c4_utils' (datatrove's defaults swap them: 3 words per line, 5 sentences).

    **A filter does not rewrite text.** In streamflow a Filter only keeps or drops a row (see
    ``streamflow.actors.base.Filter``), so this filter decides on the page as C4 would clean it
    but leaves the text as it is; :class:`C4LineRefiner` removes the lines. Use both, in either
    order, to get C4's output: the line rules are idempotent (save for nested markers such as
    "[[1]]", which lose one layer per pass), so the filter decides the same on cleaned text,
    and the refiner's output is the same on kept rows. (datatrove's
    C4QualityFilter rewrites ``doc.text`` inside the filter.)

    Sentences are counted as spaCy's sentencizer counts them (datatrove), see
    :func:`_sentences`; C4 used nltk's punkt model, which also knows abbreviations and
    initials, so counts differ on lines such as "Dr. Smith arrived.". The rules look for English
    words (javascript, policy phrases); the sentence and word counts work for any language
    written with spaces. Measurements: ``kept_lines``, ``lines``, ``sentences``.
    """

    prefix = "c4"

    def _rules(self, text: str) -> Rules:
        kept, sentences, lines, page_reason = self._c4.clean(text)
        yield "lines", lines, None
        if page_reason is not None:
            yield "kept_lines", None, page_reason
            yield "sentences", None, None
            return
        yield "kept_lines", len(kept), None
        need = self._c4.min_sentences
        why = f"{sentences} sentences in the {len(kept)} of {lines} lines kept < min {need}"
        yield "sentences", sentences, why if sentences < need else None


class C4LineRefiner(_C4Operator, TextRefiner):
    """Removes the lines C4 removes (Raffel et al. 2020, sec. 2.2), the text half of C4.

    Keeps the lines :class:`C4QualityFilter` keeps, stripped, with their citation markers
    removed, joined by newlines; the parameters are the filter's and mean the same. It decides
    nothing about the page: put :class:`C4QualityFilter` before or after it to drop the pages
    C4 drops (a page the filter keeps comes out exactly as c4_utils' ``clean_page`` writes it).
    On a page the filter would drop for "lorem ipsum" or "{", the lines kept before that line
    are returned.
    """

    def refine(self, text: str) -> str:
        return "\n".join(self._c4.clean(text)[0])
