from __future__ import annotations

from streamflow import Filter
from streamflow.agent.catalog import KeySpec, operator_cards, pipeline_cards, words_of
from streamflow.operators.registry import OPERATORS, OperatorRegistry


def test_every_registered_operator_has_a_card(cards):
    assert set(cards) == {info.name for info in OPERATORS.infos()}
    card = cards["ReasoningAnswerGenerator"]
    assert [k.name for k in card.inputs] == ["input_key"]
    assert [k.name for k in card.outputs] == ["output_key"]
    assert card.uses_llm and card.allowed_prompts
    assert "Reads instruction; writes generated_cot" in card.text()


def test_cards_follow_the_live_registry():
    registry = OperatorRegistry()  # a registry of its own: the process-wide one stays as it is

    class PalindromeSentinelFilter(Filter):
        """Keeps the texts that read the same backwards."""

        def process(self, rows, input_key: str = "text"):
            return [r[input_key] == r[input_key][::-1] for r in rows]

    registry.register(PalindromeSentinelFilter, "agent_test")
    cards = operator_cards(registry)
    assert len(cards) == len(OPERATORS.infos()) + 1
    assert cards["PalindromeSentinelFilter"].domain == "agent_test"
    assert cards["PalindromeSentinelFilter"].inputs[0].default == "text"


def test_key_words_and_names():
    assert words_of("HtmlURLRemoverRefiner") == ["html", "url", "remover", "refiner"]
    assert KeySpec("input_question_key", None, True).words == {"question"}
    assert KeySpec("output_key", "generated_cot", False).words == {"generated", "cot"}


def test_shipped_pipelines_name_their_operators():
    pipelines = {p.name: p for p in pipeline_cards()}
    assert "ReasoningAnswerGenerator" in pipelines["reasoning_math"].operators
    assert pipelines["reasoning_math"].summary
