"""RandomDomainKnowledgeRowGenerator: one sample per seed row, seeded per row."""

from __future__ import annotations

import pytest
from helpers import read_jsonl

from streamflow import FileStorage, Pipeline
from streamflow.operators.core_text import RandomDomainKnowledgeRowGenerator
from streamflow.testing import ScriptedServing, apply


def test_each_seed_row_gets_a_sample_sampled_with_its_own_seed():
    serving = ScriptedServing(lambda p: '{"instruction": "i", "input": "", "output": "o"}')
    op = RandomDomainKnowledgeRowGenerator(serving, 3, "math, cooking")
    out = apply(op, [{"seed": i} for i in range(3)], ids=[f"gen:{i}" for i in range(3)])
    assert all(r["generated_content"].startswith('{"instruction"') for r in out.batch.rows)
    assert "math, cooking" in serving.prompts[0]
    seeds = {p.seed for p in serving.params_seen}
    assert len(seeds) == 3 and {p.temperature for p in serving.params_seen} == {1.0}
    assert op.seed_rows == 3


def test_without_an_input_file_generation_num_seed_rows_are_made(tmp_path):
    serving = ScriptedServing(lambda p: "sample")

    class Synth(Pipeline):
        def __init__(self) -> None:
            self.storage = FileStorage(output_file=tmp_path / "out.jsonl")
            self.gen = RandomDomainKnowledgeRowGenerator(serving, 5, "history")

        def forward(self) -> None:
            self.gen.run(self.storage.step(), output_key="sample")

    Synth().run()
    assert [r["sample"] for r in read_jsonl(tmp_path / "out.jsonl")] == ["sample"] * 5


def test_configuration_errors():
    with pytest.raises(ValueError, match="generation_num"):
        RandomDomainKnowledgeRowGenerator(ScriptedServing(), 0, "x")
    with pytest.raises(ValueError, match="domain_keys"):
        RandomDomainKnowledgeRowGenerator(ScriptedServing(), 1, " ")
