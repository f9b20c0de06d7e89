"""Phi4QAGenerator: one request per row, the answer in output_key; SmolLM2 on the real engine."""

from __future__ import annotations

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow import PromptTemplateError
from streamflow.operators.text_pt import Phi4QAGenerator, Phi4QAGeneratorPrompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.serving.base import LLMRequestError
from streamflow.testing import ScriptedServing, apply


def answer(prompt: str) -> str:
    if "BROKEN" in prompt:
        raise LLMRequestError("server error 500", transient=False)
    passage = prompt.rsplit("Passage:\n", 1)[1]
    return f"Question: What is said? Answer: {passage}"


def test_each_row_gets_its_own_rewrite_and_empty_rows_are_not_sent():
    serving = ScriptedServing(answer)
    rows = [{"raw_content": "Rice boils."}, {"raw_content": " "}, {"raw_content": "BROKEN"}]
    out = apply(Phi4QAGenerator(serving), rows, output_key="qa")
    assert out.batch.rows == [
        {"raw_content": "Rice boils.", "qa": "Question: What is said? Answer: Rice boils."},
        {"raw_content": " ", "qa": ""},
    ]
    assert out.failed[0][2] == "server error 500"
    assert len(serving.requests) == 2
    assert "Question: ... Answer: ..." in serving.prompts[0]


def test_prompt_templates():
    class Mine(DIYPromptABC):
        def build_prompt(self, content: str) -> str:
            return f"QA please: {content}"

    serving = ScriptedServing(lambda p: p)
    out = apply(Phi4QAGenerator(serving, Mine()), [{"raw_content": "x"}])
    assert out.batch.rows[0]["generated_content"] == "QA please: x"
    with pytest.raises(PromptTemplateError):
        Phi4QAGenerator(serving, object())  # type: ignore[arg-type]
    assert "Passage:\nabc" in Phi4QAGeneratorPrompt().build_prompt(content="abc")


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_rewrite_on_the_real_engine(chain, tmp_path, vllm_serving):
    texts = [
        "The Nile is the longest river in Africa. It flows north into the Mediterranean Sea.",
        "Bees pollinate flowers while they collect nectar, which they turn into honey.",
    ]
    src = write_jsonl(tmp_path / "in.jsonl", [{"raw_content": t} for t in texts])
    out = tmp_path / "out.jsonl"
    steps = [(Phi4QAGenerator(vllm_serving), {"output_key": "qa"})]
    result = await chain(steps, entry_file=src, output_file=out).arun()
    rows = read_jsonl(out)
    assert len(rows) == len(texts) and not result.dead_letters.records()
    assert all(r["qa"].strip() for r in rows)
    assert result.stats.operators[0].completion_tokens > 0
