"""Token F1 and exact match, exactly as SQuAD v1.1's official evaluation script defines them.

Answers are normalised by lower-casing, removing punctuation (``string.punctuation``), removing
the articles *a*, *an*, *the* as whole words, and collapsing whitespace — in that order, as the
script does. F1 is the harmonic mean of token precision and recall over the multiset of common
tokens; with several ground truths, the best score counts.

DataFlow's ``AgenticRAGQAF1SampleEvaluator`` adds one rule that SQuAD does not have: when either
side normalises to ``yes``, ``no`` or ``noanswer``, the two must be equal to score at all (F1 0
otherwise). :func:`f1_score` follows SQuAD; ``yes_no_rule=True`` adds DataFlow's rule.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable

__all__ = ["best_over", "exact_match_score", "f1_score", "normalize_answer"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)
_SPECIAL = frozenset({"yes", "no", "noanswer"})


def normalize_answer(text: str) -> str:
    """Lower text and remove punctuation, articles and extra whitespace (SQuAD v1.1)."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def f1_score(prediction: str, ground_truth: str, *, yes_no_rule: bool = False) -> float:
    pred = normalize_answer(prediction)
    gold = normalize_answer(ground_truth)
    if yes_no_rule and (pred in _SPECIAL or gold in _SPECIAL) and pred != gold:
        return 0.0
    pred_tokens, gold_tokens = pred.split(), gold.split()
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred_tokens)
    recall = same / len(gold_tokens)
    return (2 * precision * recall) / (precision + recall)


def exact_match_score(prediction: str, ground_truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(ground_truth))


def best_over(score: object, prediction: str, ground_truths: Iterable[str]) -> float:
    """The best ``score(prediction, truth)`` over the ground truths (0.0 when there are none)."""
    assert callable(score)
    return max((float(score(prediction, truth)) for truth in ground_truths), default=0.0)
