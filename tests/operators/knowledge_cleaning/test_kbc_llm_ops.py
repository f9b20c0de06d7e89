"""The knowledge-cleaning LLM operators with a scripted model: prompts, parsing, failures."""

from __future__ import annotations

import json
from pathlib import Path

from streamflow.operators.core_text.multihop import Text2MultiHopQAGenerator
from streamflow.operators.knowledge_cleaning.multihop_qa_batch import KBCMultiHopQAGeneratorBatch
from streamflow.operators.knowledge_cleaning.qa_extractor import QAExtractor
from streamflow.operators.knowledge_cleaning.text_cleaner import (
    KBCTextCleaner,
    KBCTextCleanerBatch,
    extract_cleaned_text,
)
from streamflow.serving.base import LLMRequestError
from streamflow.testing import ScriptedServing, apply

RAW = "Page 3\n\nThe Aldermoor light was lit in 1851.  It burns kerosene.\n\n- 3 -"
TEXT = (
    "The Aldermoor lighthouse was built in 1851 by Tobias Wren. Its lamp burned whale oil "
    "until 1902. After 1902 the lamp was converted to kerosene by the harbour board. The head "
    "keeper Margit Holm served there for thirty-one years. She kept the log in Norwegian."
)


def qa_json(question: str) -> str:
    return json.dumps(
        {
            "question": question,
            "reasoning_steps": [{"step": "a"}, {"step": "b"}],
            "answer": "kerosene, from 1902",
            "supporting_facts": ["Its lamp burned whale oil until 1902"],
            "type": "history",
        }
    )


def test_extract_cleaned_text() -> None:
    assert extract_cleaned_text("noise <cleaned_start>\nClean.\n<cleaned_end> more") == "Clean."
    assert extract_cleaned_text("<cleaned_start>\nCut off") == "Cut off"
    assert extract_cleaned_text("Plain.\n\nProcessing Steps: 1. [Tag Analysis]") == "Plain."


def test_cleaner_sends_the_instruction_and_keeps_the_clean_text() -> None:
    llm = ScriptedServing(
        lambda p: (
            "<cleaned_start>\nThe Aldermoor light was lit in 1851. It burns kerosene.\n"
            "<cleaned_end>"
            if "Aldermoor" in p
            else "I cannot help."
        )
    )
    out = apply(KBCTextCleaner(llm), [{"raw_chunk": RAW}, {"raw_chunk": ""}, {"raw_chunk": "x y"}])
    assert [r["cleaned_chunk"] for r in out.batch.rows] == [
        "The Aldermoor light was lit in 1851. It burns kerosene.",
        "",
        "I cannot help.",  # an answer without the markers is taken whole, as in DataFlow
    ]
    assert len(llm.prompts) == 2  # the empty chunk costs no request
    assert "keep every fact" in llm.prompts[0].lower() and RAW in llm.prompts[0]
    empty = apply(
        KBCTextCleaner(ScriptedServing(lambda p: "<cleaned_start>\n<cleaned_end>")),
        [{"raw_chunk": RAW}],
    )
    assert "no cleaned text" in empty.failed[0][2]


def test_cleaner_failures_are_dead_letters() -> None:
    def answer(prompt: str) -> str:
        raise LLMRequestError("context too long")

    out = apply(KBCTextCleaner(ScriptedServing(answer)), [{"raw_chunk": RAW}])
    assert out.failed[0][2] == "context too long"


def test_batch_cleaner_and_multihop_work_on_chunk_files(tmp_path: Path) -> None:
    path = tmp_path / "doc_chunk.json"
    path.write_text(json.dumps([{"raw_chunk": RAW}, {"raw_chunk": TEXT}]))
    cleaner = KBCTextCleanerBatch(
        ScriptedServing(lambda p: f"<cleaned_start>\n{TEXT}\n<cleaned_end>")
    )
    (row,) = apply(cleaner, [{"chunk_path": str(path)}]).batch.rows
    assert row["cleaned_chunk_path"] == str(path)
    items = json.loads(path.read_text())
    assert [i["cleaned_chunk"] for i in items] == [TEXT, TEXT] and items[0]["raw_chunk"] == RAW

    count = iter(range(100))
    qa = KBCMultiHopQAGeneratorBatch(
        ScriptedServing(lambda p: qa_json(f"Q{next(count)}?")), num_q=2
    )
    (row,) = apply(qa, [{"chunk_path": str(path)}]).batch.rows
    items = json.loads(Path(row["enhanced_chunk_path"]).read_text())
    assert [len(i["qa_pairs"]) for i in items] == [2, 2]

    extracted = apply(QAExtractor(), [{"enhanced_chunk_path": str(path)}]).batch.rows
    assert len(extracted) == 4
    assert extracted[0]["input"].startswith("Q") and extracted[0]["output"] == "kerosene, from 1902"


def test_multihop_generator_asks_per_context_and_drops_rows_without_pairs() -> None:
    answers = iter(
        [qa_json("How did the fuel change?"), "not json", qa_json("How did the fuel change?")]
    )
    llm = ScriptedServing(lambda p: next(answers))
    op = Text2MultiHopQAGenerator(llm, num_q=3)
    out = apply(op, [{"cleaned_chunk": TEXT}, {"cleaned_chunk": "Too short."}], ids=["a", "b"])
    (row,) = out.batch.rows
    assert out.batch.ids == ["a/0"]
    assert [q["question"] for q in row["QA_pairs"]] == ["How did the fuel change?"]  # deduplicated
    assert row["QA_metadata"]["source"] == "default_source"
    assert 0 < row["QA_metadata"]["complexity"] <= 1
    assert len(llm.requests) == 3  # num_q contexts, not one per sentence
    system = llm.requests[0][0][0]
    assert system["role"] == "system" and "multi-hop" in system["content"]
    assert [(d.id, "length" in d.reason) for d in out.dropped] == [("b", True)]


def test_qa_extractor_makes_alpaca_rows() -> None:
    rows = [
        {
            "QA_pairs": [
                {"question": "Who built it?", "answer": "Tobias Wren"},
                {"question": "", "answer": "skipped"},
            ]
        },
        {"QA_pairs": {"qa_pairs": [{"question": "When?", "answer": "1851"}]}},
    ]
    out = apply(QAExtractor(input_instruction="Answer briefly."), rows, ids=["r1", "r2"])
    assert out.batch.ids == ["r1/0", "r2/0"]
    assert [(r["instruction"], r["input"], r["output"]) for r in out.batch.rows] == [
        ("Answer briefly.", "Who built it?", "Tobias Wren"),
        ("Answer briefly.", "When?", "1851"),
    ]


def test_an_answer_cut_off_by_the_token_limit_still_gives_its_pair() -> None:
    from streamflow.operators.core_text.multihop import parse_qa_objects

    cut = '{"question": "Why did the \\"lamp\\" change?", "answer": "Kerosene", "reason'
    assert parse_qa_objects(cut) == [
        {"question": 'Why did the "lamp" change?', "answer": "Kerosene", "truncated": True}
    ]
    assert parse_qa_objects('{"question": "Only a question"') == []
