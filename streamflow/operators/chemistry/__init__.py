"""DataFlow's chemistry domain: SMILES strings extracted from text and checked for equivalence
with RDKit canonical SMILES."""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "ExtractSmilesFromTextGenerator": "extract_smiles_generator",
        "SmilesEquivalenceDatasetEvaluator": "smiles_equivalence_evaluator",
    },
    prompts={
        "ExtractSmilesFromTextPrompt": "prompts",
    },
)
