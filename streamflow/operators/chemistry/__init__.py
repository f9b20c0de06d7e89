"""DataFlow's chemistry domain: SMILES strings extracted from text and checked for equivalence
with RDKit canonical SMILES."""

# Name -> module, for the lazy registration of issue 10 (lazy_domain(operators=...,
# prompts=...)); until it lands, import the modules directly.
OPERATORS: dict[str, str] = {
    "ExtractSmilesFromTextGenerator": "extract_smiles_generator",
    "SmilesEquivalenceDatasetEvaluator": "smiles_equivalence_evaluator",
}
PROMPTS: dict[str, str] = {
    "ExtractSmilesFromTextPrompt": "prompts",
}
