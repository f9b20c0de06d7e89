"""SMILES equivalence on written pairs, the dataset evaluator, and extraction with a fake LLM."""

from __future__ import annotations

import pytest

from streamflow.operators.chemistry.extract_smiles_generator import ExtractSmilesFromTextGenerator
from streamflow.operators.chemistry.smiles import canonical_smiles, smiles_equivalent
from streamflow.operators.chemistry.smiles_equivalence_evaluator import (
    SmilesEquivalenceDatasetEvaluator,
)
from streamflow.testing import ScriptedServing, apply

SAME = [
    ("OCC", "CCO"),  # ethanol, written from either end
    ("C1=CC=CC=C1", "c1ccccc1"),  # benzene, Kekulé vs aromatic
    ("CC(=O)O", "OC(C)=O"),  # acetic acid
    ("Nc1ccc(Oc2ccc(N)cc2)cc1", "O(c1ccc(N)cc1)c2ccc(cc2)N"),  # 4,4'-oxydianiline
    ("[NH4+]", "[NH4+]"),
]
DIFFERENT = [
    ("CCO", "COC"),  # ethanol vs dimethyl ether: same formula, different molecules
    ("C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O"),  # L- vs D-alanine
    ("c1ccccc1", "C1CCCCC1"),  # benzene vs cyclohexane
    ("CCO", "not a smiles"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_molecule_written_two_ways(a: str, b: str) -> None:
    assert smiles_equivalent(a, b) and canonical_smiles(a) == canonical_smiles(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_molecules(a: str, b: str) -> None:
    assert not smiles_equivalent(a, b)


def test_dataset_evaluator_scores_rows_and_reports() -> None:
    evaluator = SmilesEquivalenceDatasetEvaluator()
    rows = [
        {
            "golden_label": [
                {"abbreviation": "ODA", "full_name": "oxydianiline", "smiles": SAME[3][0]},
                {"abbreviation": "BZ", "full_name": "benzene", "smiles": "c1ccccc1"},
                {"abbreviation": "ET", "full_name": "ethanol", "smiles": "CCO"},
            ],
            "synth_smiles": [
                {"abbreviation": "ODA", "smiles": SAME[3][1]},
                {"abbreviation": "BZ", "smiles": "C1CCCCC1"},
            ],
        },
        {"golden_label": [], "synth_smiles": []},
    ]
    evaluator.observe(rows)
    assert [r["score"] for r in rows[0]["final_result"]] == [1, 0, 0]
    assert (rows[0]["block_score"], rows[0]["block_total"]) == (1, 3)
    assert rows[0]["block_accuracy"] == pytest.approx(1 / 3) and rows[1]["block_accuracy"] is None
    assert evaluator.report() == {
        "overall_score": 1,
        "overall_total": 3,
        "overall_accuracy": pytest.approx(1 / 3),
    }


def test_extraction_parses_the_models_json() -> None:
    answers = {
        "PMDA": '```json\n[{"abbreviation": "PMDA", "full_name": "pyromellitic dianhydride", '
        '"smiles": "O=C1OC(=O)c2cc3C(=O)OC(=O)c3cc12"}]\n```',
        "none": "I cannot find any molecule.",
    }
    llm = ScriptedServing(lambda p: answers["PMDA" if "PMDA" in p else "none"])
    op = ExtractSmilesFromTextGenerator(llm)
    out = apply(
        op,
        [
            {"text": "PMDA reacts with ODA.", "abbreviations": ["PMDA"]},
            {"text": "Nothing here.", "abbreviations": []},
        ],
    )
    (row,) = out.batch.rows
    assert row["synth_smiles"][0]["abbreviation"] == "PMDA"
    assert "Only these molecules matter" in llm.prompts[0] and "PMDA reacts" in llm.prompts[0]
    assert "no JSON" in out.failed[0][2]
