from __future__ import annotations

import pytest

from streamflow.agent.catalog import operator_cards, pipeline_cards
from streamflow.agent.retrieve import Candidate, OperatorRetriever, expand, fuse_rankings


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("turn HTML entities back into characters", "HtmlEntityRefiner"),
        ("remove links", "HtmlUrlRemoverRefiner"),
        ("collapse runs of spaces", "RemoveExtraSpacesRefiner"),
        ("remove exact duplicates", "HashDeduplicateFilter"),
    ],
)
async def test_bm25_finds_the_operator_of_a_plain_step(bm25_retriever, query, wanted):
    found = [c.name for c in await bm25_retriever.search(query, 5)]
    assert wanted in found


def test_expansion_adds_description_words():
    assert expand("remove links") == "remove links url urls"
    assert expand("solve it") == "solve it"


def test_fusion_prefers_what_several_steps_rank_high():
    fused = fuse_rankings([[Candidate("A", 1), Candidate("B", 1)], [Candidate("B", 1)]])
    assert fused == ["B", "A"]


@pytest.mark.slow
async def test_hybrid_retrieval_with_the_packaged_embedding_model(tmp_path):
    cards = operator_cards()
    retriever = await OperatorRetriever.build(cards, pipeline_cards(), cache=tmp_path / "idx")
    found = [c.name for c in await retriever.search("solve each math problem step by step", 5)]
    assert "ReasoningAnswerGenerator" in found
