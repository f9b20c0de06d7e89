"""Shared pieces of the agent's tests: the live catalogue and a BM25 retriever (built once)."""

from __future__ import annotations

import anyio
import pytest

from streamflow.agent.catalog import OperatorCard, operator_cards, pipeline_cards
from streamflow.agent.retrieve import OperatorRetriever


@pytest.fixture(scope="session")
def cards() -> dict[str, OperatorCard]:
    return operator_cards()


@pytest.fixture(scope="session")
def bm25_retriever(cards: dict[str, OperatorCard]) -> OperatorRetriever:
    async def build() -> OperatorRetriever:
        return await OperatorRetriever.build(cards, pipeline_cards(), method="bm25")

    return anyio.run(build)
