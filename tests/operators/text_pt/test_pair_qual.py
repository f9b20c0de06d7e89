"""PairQual on tiny regressors of both layouts (English and Chinese heads)."""

from __future__ import annotations

import pytest

from streamflow.operators.text_pt import PairQualFilter, PairQualSampleEvaluator
from streamflow.testing import apply

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TEXTS = ["what is water", "how do plants grow", "tell me a joke about cats", "the sky is blue"]


def reference(model_dir, lang):
    """The regression head over BERT's pooled output, one text at a time."""
    from safetensors.torch import load_file

    weights = load_file(str(model_dir / "model.safetensors"))
    bert = transformers.BertModel.from_pretrained(model_dir, add_pooling_layer=True).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    last = "regression.3" if lang == "en" else "regression.2"
    out = []
    with torch.inference_mode():
        for text in TEXTS:
            pooled = bert(**tokenizer(text, return_tensors="pt")).pooler_output
            hidden = torch.relu(
                pooled @ weights["regression.0.weight"].T + weights["regression.0.bias"]
            )
            out.append((hidden @ weights[f"{last}.weight"].T + weights[f"{last}.bias"]).item())
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scores_match_the_checkpoint_batched(tiny_pairqual_dirs, lang):
    path = tiny_pairqual_dirs[lang]
    want = reference(path, lang)
    op = PairQualSampleEvaluator(lang=lang, model_name_or_path=str(path), batch_size=3)
    got = [r["PairQualScore"] for r in apply(op, [{"raw_content": t} for t in TEXTS]).batch.rows]
    assert got == pytest.approx(want, abs=1e-4)


def test_filter_and_defaults(tiny_pairqual_dirs):
    want = sorted(reference(tiny_pairqual_dirs["en"], "en"))
    threshold = (want[-2] + want[-1]) / 2
    op = PairQualFilter(min_score=threshold, model_name_or_path=str(tiny_pairqual_dirs["en"]))
    out = apply(op, [{"raw_content": t} for t in TEXTS])
    assert [r["PairQualScore"] for r in out.batch.rows] == pytest.approx([want[-1]], abs=1e-4)
    assert len(out.dropped) == 3
    assert PairQualSampleEvaluator(lang="zh").model_name_or_path == "zks2856/PairQual-Scorer-zh"
    with pytest.raises(ValueError, match="lang"):
        PairQualFilter(lang="fr")
