"""Superfiltering's IFD on the embedded SmolLM2 equals a direct transformers computation."""

from __future__ import annotations

import math

import pytest

from streamflow.operators.text_sft.superfiltering import (
    SuperfilteringFilter,
    SuperfilteringSampleEvaluator,
    ifd_prompt,
)
from streamflow.rows import Failure
from streamflow.testing import apply

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

PAIRS = [
    ("What is the capital of France?", "The capital of France is Paris."),
    ("Name a primary colour.", "Red."),
    ("Translate 'good morning' into Spanish.", "Buenos días."),
    (
        "Write a haiku about the sea.",
        "Waves fold into foam,\nsalt wind carries gull voices,\nthe tide keeps its time.",
    ),
    ("How many legs does a spider have?", "A spider has eight legs."),
    (
        "Explain photosynthesis in one sentence.",
        "Plants turn light, water and carbon dioxide into sugar and oxygen.",
    ),
    ("Give me a synonym for 'happy'.", "Joyful."),
    ("What is 12 times 12?", "12 times 12 is 144."),
    ("Suggest a name for a black cat.", "Midnight."),
    ("Why is the sky blue?", "Air scatters blue light more than red light, so the sky looks blue."),
    ("List three fruits.", "Apples, bananas and cherries."),
    (
        "Summarise the plot of Cinderella.",
        "A mistreated young woman goes to a royal ball with a fairy's help and marries the prince.",
    ),
    ("What does CPU stand for?", "Central processing unit."),
    ("Is a tomato a fruit?", "Botanically, yes: it develops from a flower and holds seeds."),
    (
        "Convert 100 degrees Celsius to Fahrenheit.",
        "100 degrees Celsius is 212 degrees Fahrenheit.",
    ),
    ("Tell me a fun fact about octopuses.", "Octopuses have three hearts and blue blood."),
    ("Which planet is closest to the sun?", "Mercury."),
    (
        "Write a polite way to decline an invitation.",
        "Thank you so much for the invitation; I'm sorry I can't make it this time.",
    ),
    ("What is the boiling point of water at sea level?", "It boils at 100 degrees Celsius."),
    (
        "Recommend a book for a long train ride.",
        "Try 'The Hobbit' by J.R.R. Tolkien: light, adventurous and just long enough.",
    ),
]


def direct_ifd(model, tokenizer, instruction: str, output: str, input_text: str = "") -> float:
    """IFD one row at a time with transformers' own loss: the reference."""
    prompt = tokenizer(ifd_prompt(instruction, input_text), add_special_tokens=False)["input_ids"]
    response = tokenizer(output, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt + response])
    labels = ids.clone()
    labels[0, : len(prompt)] = -100
    alone = torch.tensor([response])
    with torch.inference_mode():
        given = model(input_ids=ids, labels=labels).loss.item()
        by_itself = model(input_ids=alone, labels=alone).loss.item()
    return math.exp(given) / math.exp(by_itself)


@pytest.fixture(scope="module")
def smollm2(smollm2_dir):
    tokenizer = transformers.AutoTokenizer.from_pretrained(smollm2_dir)
    model = transformers.AutoModelForCausalLM.from_pretrained(smollm2_dir, dtype=torch.float32)
    return model.eval(), tokenizer


@pytest.fixture(scope="module")
def reference(smollm2):
    return [direct_ifd(*smollm2, i, o) for i, o in PAIRS]


def test_ifd_equals_a_direct_transformers_computation_on_smollm2(smollm2_dir, reference):
    op = SuperfilteringSampleEvaluator(model_name_or_path=str(smollm2_dir), batch_size=6)
    rows = [{"instruction": i, "output": o} for i, o in PAIRS]
    out = apply(op, rows, input_instruction_key="instruction", input_output_key="output")
    assert out.failed == []
    scores = [r["SuperfilteringScore"] for r in out.batch.rows]
    assert len(scores) == 20
    for got, want in zip(scores, reference, strict=True):
        assert got == pytest.approx(want, abs=1e-4)
    assert len({round(s, 3) for s in scores}) > 15  # the rows really differ
    assert all(r.items() >= rows[k].items() for k, r in enumerate(out.batch.rows))


def test_filter_keeps_the_ifd_range_and_records_why(smollm2_dir, reference):
    ordered = sorted(reference)
    cut = (ordered[10] + ordered[11]) / 2  # half the rows, none near the edge
    op = SuperfilteringFilter(min_score=0.0, max_score=cut, model_name_or_path=str(smollm2_dir))
    rows = [{"instruction": i, "output": o} for i, o in PAIRS]
    out = apply(op, rows)
    kept = {r["instruction"] for r in out.batch.rows}
    assert kept == {i for (i, _), s in zip(PAIRS, reference, strict=True) if s <= cut}
    assert len(out.dropped) == 20 - len(kept)
    assert all(
        "SuperfilteringScore" in d.reason and "outside [0, " in d.reason for d in out.dropped
    )


def test_input_field_joins_the_prompt(smollm2_dir, smollm2):
    want = direct_ifd(*smollm2, "Translate into French.", "Bonjour.", "Hello.")
    op = SuperfilteringSampleEvaluator(model_name_or_path=str(smollm2_dir))
    row = {"instruction": "Translate into French.", "input": "Hello.", "output": "Bonjour."}
    out = apply(op, [row], input_input_key="input")
    assert out.batch.rows[0]["SuperfilteringScore"] == pytest.approx(want, abs=1e-4)


def test_rows_that_cannot_be_scored_fail_with_the_reason(smollm2_dir):
    op = SuperfilteringSampleEvaluator(model_name_or_path=str(smollm2_dir), max_length=8)
    rows = [
        {"instruction": "Say hi.", "output": ""},
        {"instruction": "Say hi.", "output": "Hi"},  # one token: nothing to predict alone
        {"instruction": "word " * 20, "output": "A long enough answer here."},
        {"instruction": "Say hi.", "output": "Hello there, friend."},
    ]
    out = apply(op, rows)
    reasons = [reason for _, _, reason in out.failed]
    assert reasons[0] == "empty or missing field 'output'"
    assert reasons[1] == "the response has too few tokens to score"
    assert "leaving no room for the response in max_length=8" in reasons[2]
    assert len(out.batch.rows) == 1 and out.batch.rows[0]["SuperfilteringScore"] > 0


def test_a_model_that_cannot_be_loaded_fails_every_row_once(tmp_path):
    op = SuperfilteringSampleEvaluator(model_name_or_path=str(tmp_path / "nowhere"))
    out = apply(op, [{"instruction": "a", "output": "b c"}] * 3)
    assert [r for _, _, r in out.failed] == [out.failed[0][2]] * 3
    assert "cannot load model" in out.failed[0][2] and "nowhere" in out.failed[0][2]
    assert isinstance(op._loaded, Exception)


def test_cuda_without_a_gpu_is_refused_with_the_reason(smollm2_dir):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    op = SuperfilteringSampleEvaluator(device="cuda", model_name_or_path=str(smollm2_dir))
    out = apply(op, [{"instruction": "a", "output": "b c"}])
    assert "torch sees no GPU" in out.failed[0][2]
    assert not isinstance(out.failed[0][2], Failure)
