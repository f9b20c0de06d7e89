"""ConsistentChatGenerator on a scripted serving: one consistent dialogue per seed."""

from __future__ import annotations

import json
from collections import Counter

from helpers import read_jsonl

from streamflow import FileStorage, Pipeline
from streamflow.operators.conversations import ConsistentChatGenerator
from streamflow.operators.conversations.consistent_chat import DialogueAnswers, DialogueQueries
from streamflow.operators.conversations.intents import INFORMATION_FLOWS, INTENT_TOPICS
from streamflow.operators.structured import schema_of
from streamflow.testing import ScriptedServing, apply


def chat_answer(turns: int = 3):
    def answer(prompt: str) -> str:
        if prompt.startswith("Write the user's side"):
            topic = prompt.split("core topic: ", 1)[1].split(".\n", 1)[0]
            return json.dumps(
                {"category": topic, "turns": [f"q{k} about {topic}" for k in range(turns)]}
            )
        asked = [line.split(". ", 1)[1] for line in prompt.splitlines() if line[:1].isdigit()]
        return json.dumps({"responses": [f"answer to {q}" for q in asked]})

    return answer


def test_each_seed_is_one_dialogue_on_its_topic():
    serving = ScriptedServing(chat_answer())
    op = ConsistentChatGenerator(serving, num_dialogs_per_intent=2, num_turns_per_dialog=3)
    out = apply(op, [{"seed": i} for i in range(4)], [f"gen:{i}" for i in range(4)])
    assert out.batch.ids == ["gen:0/0", "gen:1/0", "gen:2/0", "gen:3/0"]
    row = out.batch.rows[0]
    draw = op.draw("gen:0", {"seed": 0})
    assert row["category"] == draw["topic"]
    assert [m["role"] for m in row["conversation"]] == ["user", "assistant"] * 3
    assert row["conversation"][1] == {
        "role": "assistant",
        "content": f"answer to q0 about {draw['topic']}",
    }
    query_schema = serving.requests[0][1]
    assert (
        query_schema["properties"]["turns"]["minItems"]
        == query_schema["properties"]["turns"]["maxItems"]
        == 3
    )
    assert {k for k in query_schema["properties"]} == set(schema_of(DialogueQueries)["properties"])
    assert serving.requests[-1][1]["properties"]["responses"]["maxItems"] == 3
    assert set(schema_of(DialogueAnswers)["properties"]) == {"responses"}
    assert draw["info_flow"].lower() in serving.prompts[0]


def test_seeds_spread_evenly_over_the_intents():
    op = ConsistentChatGenerator(ScriptedServing(chat_answer()), num_dialogs_per_intent=5)
    assert op.seed_rows == 9 * 5
    intents = Counter(op.draw(f"gen:{i}", {"seed": i})["intent"] for i in range(op.seed_rows))
    assert set(intents) == set(INFORMATION_FLOWS) and set(intents.values()) == {5}
    for i in range(20):
        draw = op.draw(f"gen:{i}", {"seed": i})
        assert draw["topic"] in INTENT_TOPICS[draw["intent"]]
        assert draw["info_flow"] in INFORMATION_FLOWS[draw["intent"]]
    assert op.draw("gen:3", {"seed": 3}) == op.draw("gen:3", {"seed": 3})


def test_sampling_is_seeded_from_the_row():
    class Recording(ScriptedServing):
        def __init__(self, answer):
            super().__init__(answer)
            self.seen = []

        async def _complete(self, messages, json_schema, params):
            self.seen.append(params)
            return await super()._complete(messages, json_schema, params)

    serving = Recording(chat_answer(6))
    apply(ConsistentChatGenerator(serving), [{"seed": 0}, {"seed": 1}], ["gen:0", "gen:1"])
    assert {p.temperature for p in serving.seen} == {0.9}
    assert len({p.seed for p in serving.seen}) == 4


def test_short_or_broken_answers_fail_the_seed():
    short = ScriptedServing(chat_answer(2))
    out = apply(ConsistentChatGenerator(short, num_turns_per_dialog=3), [{"seed": 0}], ["gen:0"])
    assert out.failed[0][2] == "user turns: expected 3 non-empty messages, got 2"

    def no_json(prompt: str) -> str:
        return "Here is a chat" if prompt.startswith("Write") else "{}"

    out = apply(ConsistentChatGenerator(ScriptedServing(no_json)), [{"seed": 0}], ["gen:0"])
    assert out.failed[0][2].startswith("user turns: answer is not valid JSON")


class Chats(Pipeline):
    def __init__(self, serving, out):
        self.storage = FileStorage(output_file=out)
        self.chat = ConsistentChatGenerator(
            serving, num_dialogs_per_intent=2, num_turns_per_dialog=3
        )

    def forward(self):
        self.chat.run(self.storage.step())


def test_from_nothing_in_a_pipeline(tmp_path):
    out = tmp_path / "chats.jsonl"
    Chats(ScriptedServing(chat_answer()), out).run(batch_size=4)
    rows = read_jsonl(out)
    assert len(rows) == 18 and all(len(r["conversation"]) == 6 for r in rows)
