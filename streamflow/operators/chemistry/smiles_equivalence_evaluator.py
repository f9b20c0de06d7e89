"""SmilesEquivalenceDatasetEvaluator: extracted SMILES against gold ones, per row and overall."""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import DatasetEvaluator
from streamflow.operators.chemistry.smiles import _chem, canonical_smiles
from streamflow.rows import Row

__all__ = ["SmilesEquivalenceDatasetEvaluator"]


class SmilesEquivalenceDatasetEvaluator(DatasetEvaluator):
    """Scores each gold molecule 1 when the extracted molecule of the same abbreviation has the
    same RDKit canonical SMILES, else 0 (missing, different, or unparsable).

    As in DataFlow it writes, into each row, ``output_key`` (per gold molecule:
    ``{abbreviation, full_name, smiles, score}``) and ``block_score``, ``block_total`` and
    ``block_accuracy`` (None for a row without gold molecules); :meth:`report` gives
    ``overall_score``, ``overall_total`` and ``overall_accuracy`` at the end of the stream.
    """

    def __init__(self, llm_serving: Any = None) -> None:
        _chem()  # fail at construction, naming the extra, when RDKit is missing
        self.overall_score = 0
        self.overall_total = 0

    def observe(
        self,
        rows: list[Row],
        input_golden_key: str = "golden_label",
        input_synth_key: str = "synth_smiles",
        output_key: str = "final_result",
        output_block_score_key: str = "block_score",
        output_block_total_key: str = "block_total",
        output_block_accuracy_key: str = "block_accuracy",
    ) -> None:
        for row in rows:
            golden = row.get(input_golden_key) or []
            synth = {
                item.get("abbreviation"): item.get("smiles")
                for item in (row.get(input_synth_key) or [])
                if isinstance(item, dict)
            }
            results = []
            for gold in golden if isinstance(golden, list) else []:
                gold = gold if isinstance(gold, dict) else {}
                abbreviation = gold.get("abbreviation", "")
                gold_canonical = canonical_smiles(gold.get("smiles", ""))
                candidate = synth.get(abbreviation)
                same = (
                    candidate is not None
                    and gold_canonical is not None
                    and canonical_smiles(candidate) == gold_canonical
                )
                results.append(
                    {
                        "abbreviation": abbreviation,
                        "full_name": gold.get("full_name", ""),
                        "smiles": gold.get("smiles", ""),
                        "score": int(same),
                    }
                )
            score = sum(r["score"] for r in results)
            row[output_key] = results
            row[output_block_score_key] = score
            row[output_block_total_key] = len(results)
            row[output_block_accuracy_key] = score / len(results) if results else None
            self.overall_score += score
            self.overall_total += len(results)

    def report(self) -> dict[str, Any]:
        total = self.overall_total
        return {
            "overall_score": self.overall_score,
            "overall_total": total,
            "overall_accuracy": self.overall_score / total if total else None,
        }
