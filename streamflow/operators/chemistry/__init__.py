"""DataFlow's chemistry domain: SMILES strings extracted from text and checked for equivalence
with RDKit canonical SMILES."""
