"""The agentic-RAG generators with a scripted model: the stages, what survives, why rows drop."""

from __future__ import annotations

import json

from streamflow.operators.agentic_rag.generators import (
    AgenticRAGAtomicTaskGenerator,
    AgenticRAGDepthQAGenerator,
    AgenticRAGWidthQAGenerator,
    loads_lenient,
)
from streamflow.testing import ScriptedServing, apply

DOC = "The Aldermoor lighthouse was first lit in 1851. Its breakwater is 412 metres long."


def atomic_model(prompt: str) -> str:
    if prompt.startswith("Text:"):
        return '```json\n{"content_identifier": "Aldermoor lighthouse"}\n```'
    if prompt.startswith("Document fragment:"):
        return json.dumps(
            [
                {"conclusion": "1851", "R": "Year the Aldermoor lighthouse was first lit"},
                {"conclusion": "412 metres", "R": "Length of the Aldermoor breakwater"},
                {"no": "conclusion"},
            ]
        )
    if prompt.startswith("ID:"):
        year = "1851" in prompt
        return json.dumps(
            {
                "Q": "When was the Aldermoor light first lit?"
                if year
                else "How long is the Aldermoor breakwater?"
            }
        )
    if '"original_answer"' in prompt:
        data = json.loads(prompt)
        return json.dumps({**data, "refined_answer": data["original_answer"]})
    if prompt.startswith("Answer this question"):
        return "412 metres" if "breakwater" in prompt else "I do not know."
    if prompt.startswith("Golden answer:"):
        golden, other = prompt.split("\nOther answer: ")
        same = golden.removeprefix("Golden answer: ") in other
        return json.dumps({"answer_analysis": "x", "answer_score": 2 if same else 0})
    if prompt.startswith("Document:"):
        return "1851" if "lit" in prompt.split("Question:")[1] else "412 metres"
    if prompt.startswith("Answer: "):
        return '["1851", "eighteen fifty-one"]'
    raise AssertionError(prompt)


def test_atomic_tasks_keep_what_needs_the_document() -> None:
    llm = ScriptedServing(atomic_model)
    out = apply(
        AgenticRAGAtomicTaskGenerator(llm), [{"prompts": DOC}, {"prompts": ""}], ids=["d", "e"]
    )
    (row,) = out.batch.rows  # the breakwater question is answered unaided: dropped
    assert out.batch.ids == ["d/0"]
    assert row["question"] == "When was the Aldermoor light first lit?"
    assert (row["answer"], row["refined_answer"], row["golden_doc_answer"]) == ("1851",) * 3
    assert row["llm_score"] == 0 and row["golden_doc_score"] == 2
    assert row["optional_answer"] == ["1851", "eighteen fifty-one"]
    assert json.loads(row["identifier"]) == {"content_identifier": "Aldermoor lighthouse"}
    assert [d.id for d in out.dropped] == ["e"] and "empty field" in out.dropped[0].reason


def test_a_stage_answer_cut_off_at_max_tokens_fails_the_row() -> None:
    llm = ScriptedServing(atomic_model, cut_off=lambda text: "content_identifier" in text)
    out = apply(AgenticRAGAtomicTaskGenerator(llm), [{"prompts": DOC}], ids=["d"])
    (failed,) = out.failed
    assert failed[0] == "d" and "answer cut off at max_tokens=" in failed[2]
    kept = apply(AgenticRAGAtomicTaskGenerator(llm).accept_truncated_answers(), [{"prompts": DOC}])
    assert len(kept.batch.rows) == 1


def test_depth_rounds_write_their_fields() -> None:
    def model(prompt: str) -> str:
        if "Element:" in prompt:
            level = prompt.rsplit("Element: ", 1)[1]
            return json.dumps({"identifier": f"superset of {level}", "relation": "part of"})
        if prompt.startswith("Superset:"):
            return '{"new_query": "valid"}'
        if prompt.startswith("Element (the answer)"):
            return '{"new_query": "Which part of the superset is it?"}'
        if prompt.startswith("Answer this question"):
            return '{"answer_list": ["no idea"]}'
        if prompt.startswith("Golden answer:"):
            return '{"answer_score": 0}'
        raise AssertionError(prompt)

    op = AgenticRAGDepthQAGenerator(ScriptedServing(model), n_rounds=2)
    rows = [{"question": "When was it lit?", "identifier": "Aldermoor", "refined_answer": "1851"}]
    (row,) = apply(op, rows, output_round_keys=None).batch.rows
    assert row["new_identifier_1"] == "superset of Aldermoor"
    assert row["new_identifier_2"] == "superset of superset of Aldermoor"
    assert row["depth_question_2"] == "Which part of the superset is it?"


def test_width_merges_neighbours_and_drops_the_last() -> None:
    def model(prompt: str) -> str:
        data = loads_lenient(
            prompt.split("\n", 1)[1] if prompt.startswith("Questions:") else prompt
        )
        if prompt.startswith("Questions:"):
            return json.dumps(
                [
                    {
                        "question": "Q1 and Q2 merged?",
                        "index": [0, 1],
                        "content_identifier": "Aldermoor",
                    }
                ]
            )
        if isinstance(data, dict) and "original_questions" in data:
            return json.dumps(
                [{"index": 0, "complex_question": data["complex_question"], "state": 1}]
            )
        if isinstance(data, dict) and "complex_question" in data:
            return json.dumps([{"index": 0, "llm_answer": "no idea"}])
        return '{"answer_score": 0}'

    rows = [
        {"question": "When was it lit?", "identifier": "A", "answer": "1851"},
        {"question": "How long is the breakwater?", "identifier": "A", "answer": "412 m"},
    ]
    out = apply(AgenticRAGWidthQAGenerator(ScriptedServing(model)), rows, ids=["r0", "r1"])
    (row,) = out.batch.rows
    assert row["generated_width_task"] == "Q1 and Q2 merged?"
    assert row["original_answer"] == ["1851", "412 m"] and row["qa_index"] == [0, 1]
    assert [d.id for d in out.dropped] == ["r1"]
