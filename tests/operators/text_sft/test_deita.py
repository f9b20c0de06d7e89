"""Deita scorers on a tiny LLaMA (the published scorers' architecture) with random weights."""

from __future__ import annotations

import pytest

from streamflow.operators.text_sft.deita import (
    COMPLEXITY_PROMPT,
    QUALITY_PROMPT,
    DeitaComplexityFilter,
    DeitaComplexitySampleEvaluator,
    DeitaQualityFilter,
    DeitaQualitySampleEvaluator,
)
from streamflow.testing import apply

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

ROWS = [
    {"instruction": "What is water?", "output": "A liquid."},
    {
        "instruction": "Explain how plants grow, and why they need light and soil.",
        "output": "Light drives photosynthesis; soil gives water and minerals.",
    },
    {"instruction": "Tell me a joke about cats.", "output": "Cats never lie; they purr-suade."},
    {"instruction": "Cook rice.", "output": "Boil it."},
    {
        "instruction": "List three facts about the history of Rome, with dates.",
        "output": "Founded 753 BC; republic 509 BC; empire 27 BC.",
    },
]


def expected_score(model, tokenizer, prompt: str) -> float:
    """Deita's score one row at a time: softmax over the digit logits after the prompt."""
    ids = torch.tensor([tokenizer(prompt)["input_ids"]])
    with torch.inference_mode():
        logits = model(input_ids=ids).logits[0, -1]
    digits = [tokenizer.convert_tokens_to_ids(str(d)) for d in range(1, 7)]
    probs = torch.softmax(logits[digits].float(), dim=-1)
    return float(sum(p * d for p, d in zip(probs.tolist(), range(1, 7), strict=True)))


@pytest.fixture(scope="module")
def tiny(tiny_llama_dir):
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_llama_dir)
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_llama_dir, dtype=torch.float32)
    return model.eval(), tokenizer


def test_complexity_equals_the_expected_digit_one_row_at_a_time(tiny_llama_dir, tiny):
    op = DeitaComplexitySampleEvaluator(model_name_or_path=str(tiny_llama_dir), batch_size=2)
    out = apply(op, ROWS)
    got = [r["DeitaComplexityScore"] for r in out.batch.rows]
    want = [
        expected_score(*tiny, COMPLEXITY_PROMPT.format(instruction=r["instruction"])) for r in ROWS
    ]
    assert got == pytest.approx(want, abs=1e-5)
    assert all(1 <= s <= 6 for s in got) and len({round(s, 4) for s in got}) == len(ROWS)


def test_quality_reads_the_response_too(tiny_llama_dir, tiny):
    op = DeitaQualitySampleEvaluator(model_name_or_path=str(tiny_llama_dir), batch_size=3)
    out = apply(op, ROWS, output_key="q")
    got = [r["q"] for r in out.batch.rows]
    want = [expected_score(*tiny, QUALITY_PROMPT.format(**r)) for r in ROWS]
    assert got == pytest.approx(want, abs=1e-5)
    swapped = apply(op, [{**ROWS[0], "output": ROWS[4]["output"]}], output_key="q")
    assert swapped.batch.rows[0]["q"] != pytest.approx(got[0], abs=1e-6)


def test_long_prompts_are_cut_to_max_length_keeping_the_end(tiny_llama_dir, tiny):
    op = DeitaQualitySampleEvaluator(model_name_or_path=str(tiny_llama_dir), max_length=60)
    long_row = {"instruction": "why is the sky blue " * 40, "output": "light and soil " * 40}
    ids = op._encode(tiny[1], long_row["instruction"], long_row["output"])
    assert len(ids) <= 60
    assert tiny[1].decode(ids).endswith("##Quality: ")
    out = apply(op, [long_row])
    assert 1 <= out.batch.rows[0]["DeitaQualityScore"] <= 6


def test_filters_keep_their_range(tiny_llama_dir):
    scores = [
        r["DeitaComplexityScore"]
        for r in apply(
            DeitaComplexitySampleEvaluator(model_name_or_path=str(tiny_llama_dir)), ROWS
        ).batch.rows
    ]
    low, high = sorted(scores)[1], sorted(scores)[3]
    op = DeitaComplexityFilter(low, high, model_name_or_path=str(tiny_llama_dir))
    out = apply(op, ROWS)
    assert len(out.batch.rows) == 3 and len(out.dropped) == 2
    assert all(low <= r["DeitaComplexityScore"] <= high for r in out.batch.rows)
    quality = DeitaQualityFilter(model_name_or_path=str(tiny_llama_dir))
    assert (quality.min_score, quality.max_score) == (2.5, 10000.0)


def test_an_empty_instruction_fails_its_row_only(tiny_llama_dir):
    op = DeitaComplexitySampleEvaluator(model_name_or_path=str(tiny_llama_dir))
    out = apply(op, [{"instruction": " "}, ROWS[0]])
    assert [r for _, _, r in out.failed] == ["empty or missing field 'instruction'"]
    assert len(out.batch.rows) == 1


def test_defaults_name_the_published_scorers():
    assert (
        DeitaComplexitySampleEvaluator().model_name_or_path == "hkust-nlp/deita-complexity-scorer"
    )
    assert DeitaQualityFilter().model_name_or_path == "hkust-nlp/deita-quality-scorer"
    with pytest.raises(ValueError, match="min_score"):
        DeitaComplexityFilter(min_score=5, max_score=3)
