"""CIDEr-D of a text against its reference(s) (DataFlow's ``CiderSampleEvaluator``), computed as
the COCO caption evaluation (pycocoevalcap's ``CiderScorer``) computes it.

For each n from 1 to ``n``: the text's and each reference's n-gram counts, weighted by
``log(N) - log(max(1, df))`` where ``df`` is the number of rows whose references contain the
n-gram and ``N`` the number of rows; the hypothesis vector clipped to the reference's
(``min(h, r) * r``), divided by both norms, times ``exp(-(l_h - l_r)**2 / (2 sigma**2))``
where ``l`` is the count of bigrams (the reference code's length). The mean over n, then over
the references, times 10. Texts are split on whitespace as given: the COCO evaluation first
runs the PTB tokenizer (Java), so lower-case and tokenise beforehand to compare with published
figures.

Document frequencies (``df_mode``):

- ``"corpus"``: over the references of the rows the operator is given together, which is what the
  COCO evaluation does over its evaluation set. Rows stream in batches, so the corpus is each
  batch: give the step a batch size that covers the set to reproduce the set's figures, or
  write the set's frequencies once with :func:`save_document_frequencies` and use them as a file.
  (DataFlow's corpus mode takes each row alone as its corpus, which makes every weight 0.)
- anything else (DataFlow's ``"coco-val-df"``): read from ``idf_path``: the pickle of the COCO
  caption repository (``coco-val-df.p``: ``{"df": {ngram: count}, "ref_len": N}``, read by a
  restricted unpickler that builds nothing but containers and numbers), or the JSON that
  :func:`save_document_frequencies` writes.
"""

from __future__ import annotations

import io
import json
import math
import pickle
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from streamflow.actors.base import SampleEvaluator
from streamflow.operators.fields import text_field
from streamflow.operators.general_text.bleu import references_of
from streamflow.rows import Row

__all__ = [
    "CiderSampleEvaluator",
    "DocumentFrequencies",
    "cider_scores",
    "document_frequencies",
    "save_document_frequencies",
]

Ngram = tuple[str, ...]
DocumentFrequencies = tuple[dict[Ngram, float], float]
"""``(df, N)``: per n-gram, the number of rows whose references hold it; the number of rows."""


def ngram_counts(text: str, n: int) -> Counter[Ngram]:
    words = text.split()
    return Counter(
        tuple(words[i : i + k]) for k in range(1, n + 1) for i in range(len(words) - k + 1)
    )


def document_frequencies(references: Iterable[Sequence[str]], n: int = 4) -> DocumentFrequencies:
    """``(df, N)`` over a corpus given as one list of references per row."""
    df: Counter[Ngram] = Counter()
    rows = 0
    for refs in references:
        rows += 1
        df.update({g for ref in refs for g in ngram_counts(ref, n)})
    return dict(df), float(rows)


def save_document_frequencies(
    references: Iterable[Sequence[str]], path: str | Path, n: int = 4
) -> None:
    """Write a corpus's document frequencies as JSON, for ``idf_path``."""
    df, rows = document_frequencies(references, n)
    payload = {"ref_len": rows, "df": [[list(g), c] for g, c in df.items()]}
    Path(path).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")


class _ContainersOnly(pickle.Unpickler):
    """Unpickles dicts, lists, tuples, strings and numbers (and defaultdicts): no code runs."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "defaultdict"):
            return defaultdict
        if module in ("builtins", "__builtin__") and name == "float":  # Python 2 pickles too
            return float
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a frequency file")


def load_document_frequencies(path: str | Path) -> DocumentFrequencies:
    """Read ``idf_path``: COCO's pickle or our JSON (see the module docstring)."""
    raw = Path(path).read_bytes()
    if raw[:1] in (b"{", b" ", b"\n"):
        payload = json.loads(raw)
        df = {tuple(g): float(c) for g, c in payload["df"]}
        return df, float(payload["ref_len"])
    data = _ContainersOnly(io.BytesIO(raw), encoding="utf-8").load()
    return {tuple(g): float(c) for g, c in data["df"].items()}, float(data["ref_len"])


def _vector(
    counts: Counter[Ngram], n: int, df: dict[Ngram, float], log_rows: float
) -> tuple[list[dict[Ngram, float]], list[float], int]:
    vec: list[dict[Ngram, float]] = [{} for _ in range(n)]
    norm = [0.0] * n
    length = 0
    for gram, tf in counts.items():
        k = len(gram) - 1
        weight = float(tf) * (log_rows - math.log(max(1.0, df.get(gram, 0.0))))
        vec[k][gram] = weight
        norm[k] += weight * weight
        if k == 1:
            length += tf
    return vec, [math.sqrt(x) for x in norm], length


def cider_scores(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    n: int = 4,
    sigma: float = 6.0,
    frequencies: DocumentFrequencies | None = None,
) -> list[float]:
    """CIDEr-D of each hypothesis against its references; ``frequencies`` default to the
    references' own (the COCO evaluation)."""
    df, rows = frequencies if frequencies is not None else document_frequencies(references, n)
    log_rows = math.log(rows) if rows > 0 else 0.0
    scores = []
    for hyp, refs in zip(hypotheses, references, strict=True):
        vec, norm, length = _vector(ngram_counts(hyp, n), n, df, log_rows)
        total = [0.0] * n
        for ref in refs:
            vec_r, norm_r, length_r = _vector(ngram_counts(ref, n), n, df, log_rows)
            penalty = math.exp(-((length - length_r) ** 2) / (2 * sigma**2))
            for k in range(n):
                value = sum(
                    min(w, vec_r[k].get(g, 0.0)) * vec_r[k].get(g, 0.0) for g, w in vec[k].items()
                )
                if norm[k] != 0 and norm_r[k] != 0:
                    value /= norm[k] * norm_r[k]
                total[k] += value * penalty
        scores.append(sum(total) / n / len(refs) * 10.0)
    return scores


class CiderSampleEvaluator(SampleEvaluator):
    """Writes the CIDEr-D of ``input_key`` against ``input_reference_key`` (a string or a list
    of strings) to ``output_key``.

    ``n`` (4) and ``sigma`` (6.0) as in COCO and DataFlow; ``df_mode`` and ``idf_path`` choose
    where document frequencies come from (module docstring). DataFlow's default ``idf_path``
    points into its own source tree, where the COCO file must be put by hand; here a missing
    file is an error at construction that says where to get one.
    """

    def __init__(
        self,
        n: int = 4,
        sigma: float = 6.0,
        df_mode: str = "coco-val-df",
        idf_path: str = "./dataflow/operators/general_pt/eval/cider/coco-val-df.p",
    ) -> None:
        self.n = n
        self.sigma = sigma
        self.df_mode = df_mode
        self.idf_path = idf_path
        self.frequencies: DocumentFrequencies | None = None
        if df_mode != "corpus":
            if not Path(idf_path).is_file():
                raise FileNotFoundError(
                    f"{self.name}: no document-frequency file at {idf_path!r}: pass idf_path= "
                    "the COCO caption repository's data/coco-val-df.p or a JSON file from "
                    "save_document_frequencies(), or use df_mode='corpus'"
                )
            self.frequencies = load_document_frequencies(idf_path)

    def process(
        self,
        rows: list[Row],
        input_key: str = "generated_text",
        input_reference_key: str = "reference_text",
        output_key: str = "CiderScore",
    ) -> list[Row]:
        hypotheses = [text_field(self.name, row, input_key) for row in rows]
        references = [references_of(self.name, row, input_reference_key) for row in rows]
        scores = cider_scores(hypotheses, references, self.n, self.sigma, self.frequencies)
        for row, score in zip(rows, scores, strict=True):
            row[output_key] = score
        return rows
