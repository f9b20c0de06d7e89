"""ConsistentChatGenerator: multi-turn dialogues that stay on one intent, made from nothing.

Each input row is a seed (see :mod:`streamflow.io.seeds`; a pipeline without an input file
gets ``seed_rows`` = intents x ``num_dialogs_per_intent`` of them). A seed gets an intent (seed
``i`` takes the ``i``-th intent in turn when the row has an integer ``seed`` field, so every
intent gets the same number of dialogues, as in DataFlow; otherwise one is drawn), and from the
row id and ``seed``, one of the intent's information flows and topics. Two requests follow:
``num_turns_per_dialog`` user messages on that topic, then the assistant's answer to each. The
seed becomes one row ``{category, conversation}``, the conversation in the OpenAI chat format
(``role``/``content``; DataFlow writes ``role``/``value``).

Both answers come back as JSON under schemas the serving enforces, with exactly the number of
turns asked for (DataFlow asks for 6-8 turns whatever ``num_turns_per_dialog`` says, trims
to the shorter side and drops dialogues it cannot parse); an unusable answer fails the seed,
with the reason. ``temperature`` (0.9) is applied to both requests, each seeded from the row
id, so a rerun samples the same dialogue.
"""

from __future__ import annotations

import random
from typing import Annotated, Any, ClassVar

import msgspec

from streamflow.actors.base import RowGenerator
from streamflow.operators.conversations.base import ConversationOperator
from streamflow.operators.conversations.prompts import ConsistentChatPrompt
from streamflow.operators.structured import ask_structured, schema_of
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["ConsistentChatGenerator", "DialogueAnswers", "DialogueQueries"]

Turn = Annotated[str, msgspec.Meta(max_length=300)]
Answer = Annotated[str, msgspec.Meta(max_length=500)]


class DialogueQueries(msgspec.Struct, forbid_unknown_fields=True):
    category: Annotated[str, msgspec.Meta(max_length=120)]
    turns: list[Turn]


class DialogueAnswers(msgspec.Struct, forbid_unknown_fields=True):
    responses: list[Answer]


def _exactly(schema: dict[str, Any], field: str, n: int) -> dict[str, Any]:
    schema["properties"][field]["minItems"] = n
    schema["properties"][field]["maxItems"] = n
    return schema


class ConsistentChatGenerator(ConversationOperator, RowGenerator):
    """Makes one topic-consistent multi-turn dialogue per seed row (see the module docstring).

    ``seed`` and ``max_tokens`` (not in DataFlow) set the draw's seed and the answers' length.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (ConsistentChatPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        num_dialogs_per_intent: int = 20,
        num_turns_per_dialog: int = 6,
        temperature: float = 0.9,
        prompt_template: ConsistentChatPrompt | DIYPromptABC | None = None,
        *,
        seed: int = 0,
        max_tokens: int | None = None,
    ) -> None:
        if num_dialogs_per_intent < 1 or num_turns_per_dialog < 1:
            raise ValueError("num_dialogs_per_intent and num_turns_per_dialog must be at least 1")
        self._setup(llm_serving, prompt_template, ConsistentChatPrompt(), max_tokens)
        self.num_dialogs_per_intent = num_dialogs_per_intent
        self.num_turns_per_dialog = num_turns_per_dialog
        self.temperature = temperature
        self.seed = seed

    @property
    def intents(self) -> list[str]:
        flows = getattr(self.prompt_template, "query_intent_categories", None)
        return sorted(flows or ConsistentChatPrompt().query_intent_categories)

    @property
    def seed_rows(self) -> int:
        """One seed per dialogue: every intent ``num_dialogs_per_intent`` times."""
        return len(self.intents) * self.num_dialogs_per_intent

    def draw(self, row_id: str, row: Row) -> dict[str, str]:
        """The intent, information flow and topic of one seed (the same for the same id)."""
        template = self.prompt_template
        flows = (
            getattr(template, "query_intent_categories", None)
            or ConsistentChatPrompt().query_intent_categories
        )
        topics = (
            getattr(template, "query_topic_dict", None) or ConsistentChatPrompt().query_topic_dict
        )
        rng = random.Random(f"{self.seed}|{row_id}")
        seed = row.get("seed")
        intents = self.intents
        intent = intents[seed % len(intents)] if isinstance(seed, int) else rng.choice(intents)
        return {
            "intent": intent,
            "info_flow": rng.choice(flows[intent]),
            "topic": rng.choice(topics[intent]),
        }

    async def process(
        self,
        rows: list[Row],
        output_category_key: str = "category",
        output_conversation_key: str = "conversation",
    ) -> list[list[Row] | Failure]:
        ids = row_ids()
        draws = [self.draw(row_id, row) for row_id, row in zip(ids, rows, strict=True)]
        n = self.num_turns_per_dialog
        query_prompts = [
            self.prompt_template.build_prompt(
                mode="query", topic=d["topic"], info_flow=d["info_flow"], num_turns=n
            )
            for d in draws
        ]
        queries = await ask_structured(
            self.llm_serving,
            query_prompts,
            DialogueQueries,
            schema=_exactly(schema_of(DialogueQueries), "turns", n),
            params=[self._params(i, "queries", 64 + 320 * n) for i in ids],
        )
        answer_prompts: list[str | None] = []
        for asked in queries:
            if (
                isinstance(asked, DialogueQueries)
                and len(asked.turns) == n
                and all(t.strip() for t in asked.turns)
            ):
                turns = [t.strip() for t in asked.turns]
                answer_prompts.append(
                    self.prompt_template.build_prompt(
                        mode="response", topic=asked.category or "", queries=turns
                    )
                )
            else:
                answer_prompts.append(None)
        answers = await ask_structured(
            self.llm_serving,
            answer_prompts,
            DialogueAnswers,
            schema=_exactly(schema_of(DialogueAnswers), "responses", n),
            params=[self._params(i, "responses", 64 + 520 * n) for i in ids],
        )
        out: list[list[Row] | Failure] = []
        for asked, answered in zip(queries, answers, strict=True):
            if not isinstance(asked, DialogueQueries):
                out.append(_failed("user turns", asked))
            elif answered is None:
                out.append(
                    Failure(f"user turns: expected {n} non-empty messages, got {len(asked.turns)}")
                )
            elif not isinstance(answered, DialogueAnswers):
                out.append(_failed("assistant turns", answered))
            elif len(answered.responses) != n or not all(r.strip() for r in answered.responses):
                out.append(Failure(f"assistant turns: expected {n} non-empty answers"))
            else:
                conversation = []
                for question, response in zip(asked.turns, answered.responses, strict=True):
                    conversation.append({"role": "user", "content": question.strip()})
                    conversation.append({"role": "assistant", "content": response.strip()})
                out.append(
                    [
                        {
                            output_category_key: asked.category.strip(),
                            output_conversation_key: conversation,
                        }
                    ]
                )
        return out


def _failed(what: str, failure: Failure | None) -> Failure:
    if failure is None:
        return Failure(f"{what}: no answer")
    return Failure(f"{what}: {failure.reason}", transient=failure.transient)
