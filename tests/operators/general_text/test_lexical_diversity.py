"""Lexical diversity: MTLD equal to DataFlow's algorithm, HD-D equal to the lexical-diversity
package's (an implementation independent of the lexicalrichness one the operator uses)."""

from __future__ import annotations

import random
import string

import pytest

from streamflow.operators.general_text.lexical_diversity import (
    HDD_KEY,
    MTLD_KEY,
    LexicalDiversityFilter,
    LexicalDiversitySampleEvaluator,
    lexical_diversity,
    tokens,
)
from streamflow.testing import apply


def dataflow_mtld_pass(words: list[str], threshold: float = 0.72) -> float:
    """DataFlow's ``mtld_calc``, written out."""
    ttr, count, types, factors = 1.0, 0, set(), 0.0
    for token in words:
        count += 1
        types.add(token)
        ttr = len(types) / count
        if ttr <= threshold:
            factors += 1
            count, types, ttr = 0, set(), 1.0
    factors += (1.0 - ttr) / (1.0 - threshold)
    return len(words) / factors


def texts(seed: int, n: int) -> str:
    rng = random.Random(seed)
    vocab = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 7))) for _ in range(300)]
    words = [vocab[min(int(rng.paretovariate(1.1)), 299)] for _ in range(n)]
    return " ".join(w.capitalize() + rng.choice(["", "", ",", "."]) for w in words)


@pytest.mark.parametrize(("seed", "n"), [(1, 60), (2, 200), (3, 700), (4, 1500)])
def test_against_reference_implementations(seed: int, n: int) -> None:
    lex_div = pytest.importorskip("lexical_diversity.lex_div")
    text = texts(seed, n)
    words = tokens(text)
    scores = lexical_diversity(text)
    expected_mtld = (dataflow_mtld_pass(words) + dataflow_mtld_pass(words[::-1])) / 2
    assert scores[MTLD_KEY] == pytest.approx(expected_mtld, rel=1e-12)
    if n < 1000:
        assert scores[HDD_KEY] == pytest.approx(lex_div.hdd(words), rel=1e-9)
    else:
        assert scores[HDD_KEY] is None


def test_tokens_and_limits() -> None:
    assert tokens("Hello, World! -- ok") == ["hello", "world", "", "ok"]
    assert lexical_diversity("too short") == {MTLD_KEY: None, HDD_KEY: None}
    distinct = " ".join(f"w{i}" for i in range(60))
    assert lexical_diversity(distinct)[MTLD_KEY] == 60.0  # all distinct: the text's length
    assert lexical_diversity(distinct)[HDD_KEY] == pytest.approx(1.0)


def test_evaluator_and_filter() -> None:
    rng = random.Random(5)
    rich = " ".join(f"{rng.choice(string.ascii_lowercase)}{rng.randrange(400)}" for _ in range(300))
    poor = " ".join(["the cat"] * 100)
    out = apply(LexicalDiversitySampleEvaluator(), [{"t": rich}, {"t": poor}], input_key="t")
    assert out.batch.rows[0][MTLD_KEY] > out.batch.rows[1][MTLD_KEY]
    rows = [{"t": rich}, {"t": poor}, {"t": "short text"}]
    out = apply(LexicalDiversityFilter(), rows, input_key="t")
    assert out.batch.ids == ["row:0", "row:2"]  # None scores pass, as DataFlow's NaN
    assert out.batch.rows[1][f"{MTLD_KEY}_label"] == 1 and out.batch.rows[1][MTLD_KEY] is None
    assert out.dropped[0].reason.startswith("mtld ")
    with pytest.raises(ValueError, match="same keys"):
        LexicalDiversityFilter(min_scores={"mtld": 1}, max_scores={"hdd": 1})
    with pytest.raises(ValueError, match="output_keys"):
        apply(LexicalDiversityFilter(), rows, input_key="t", output_keys=["mtld"])
