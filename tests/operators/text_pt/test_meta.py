"""MetaSampleEvaluator: the prompt, the score list, failures; and SmolLM2 on the real engine."""

from __future__ import annotations

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.operators.text_pt import MetaPrompt, MetaSampleEvaluator
from streamflow.operators.text_pt.meta import parse_score_list
from streamflow.operators.text_pt.prompts import DEFAULT_DIMENSIONS
from streamflow.testing import ScriptedServing, apply

NAMES = [d["dimension_name"] for d in DEFAULT_DIMENSIONS]


def test_scores_go_under_the_dimension_names():
    serving = ScriptedServing(lambda p: "Clear and correct.\n[5, 4, 4, 5, 3, 5]")
    op = MetaSampleEvaluator(serving)
    out = apply(op, [{"raw_content": "Water boils at 100 C at sea level."}])
    row = out.batch.rows[0]
    assert [row[n] for n in NAMES] == [5, 4, 4, 5, 3, 5]
    messages, _ = serving.requests[0]
    system = messages[0]["content"]
    assert all(name in system for name in NAMES) and "scored 5" in system
    assert "Water boils at 100 C" in messages[-1]["content"]


def test_custom_dimensions_and_bad_answers_fail_the_row():
    dims = [
        {"dimension_name": "Humour", "description": "Is it funny?", "example_list": []},
        {"dimension_name": "Brevity", "description": "Is it short?", "example_list": []},
    ]
    answers = {"a": "fine\n[2, 5]", "b": "I cannot rate this.", "c": "[1, 2, 3]"}
    op = MetaSampleEvaluator(ScriptedServing(lambda p: answers[p.split("\n\n")[1]]), dims)
    out = apply(op, [{"raw_content": k} for k in "abc"] + [{"raw_content": ""}])
    assert out.batch.rows == [{"raw_content": "a", "Humour": 2, "Brevity": 5}]
    reasons = [f[2] for f in out.failed]
    assert reasons[0].startswith("no score list in the answer")
    assert reasons[1].startswith("the score list '[1, 2, 3]' does not hold 2 numbers")
    assert reasons[2] == "empty or missing field 'raw_content'"


def test_parse_score_list_takes_the_last_list_and_checks_it():
    assert parse_score_list("e.g. [4, 4]\nso: [1, 2.5]", 2) == [1.0, 2.5]
    assert "not a list of numbers" in str(parse_score_list("[a, b]", 2))
    assert "does not hold" in str(parse_score_list("[True, 2]", 2))


def test_bad_dimensions_and_templates_are_rejected():
    with pytest.raises(ValueError, match="dimension 0 lacks description"):
        MetaSampleEvaluator(ScriptedServing(), [{"dimension_name": "x", "example_list": []}])
    with pytest.raises(ValueError, match="needs 'text' and 'score'"):
        MetaSampleEvaluator(
            ScriptedServing(),
            [{"dimension_name": "x", "description": "d", "example_list": [{"text": "t"}]}],
        )
    assert isinstance(MetaSampleEvaluator(ScriptedServing()).prompt_template, MetaPrompt)


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_meta_rating_on_the_real_engine(chain, tmp_path, vllm_serving):
    texts = [
        "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.",
        "buy now cheap cheap click here",
        "The French Revolution began in 1789 and ended the absolute monarchy.",
    ]
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": t} for t in texts])
    out = tmp_path / "out.jsonl"
    steps = [(MetaSampleEvaluator(vllm_serving), {"input_key": "text"})]
    result = await chain(steps, entry_file=src, output_file=out).arun(batch_size=2)
    rows, failed = read_jsonl(out), result.dead_letters.records()
    assert len(rows) + len(failed) == len(texts)  # nothing lost: a row is scored or failed
    for row in rows:
        assert all(isinstance(row[n], float) for n in NAMES)
    for f in failed:  # an unreadable list, or an answer cut off at the engine's 64 tokens
        assert "score list" in f.error or f.error.startswith("answer cut off at max_tokens")
    assert result.stats.operators[0].requests == len(texts)
