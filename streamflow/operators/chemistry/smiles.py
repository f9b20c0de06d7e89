"""SMILES equivalence by RDKit canonical SMILES (the ``chem`` extra)."""

from __future__ import annotations

import functools
from typing import Any

from streamflow.extras import require

__all__ = ["canonical_smiles", "smiles_equivalent"]


@functools.cache
def _chem() -> Any:
    rdkit = require("rdkit", "chem", for_="SMILES canonicalisation")
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]  # an unparsable SMILES is reported by our caller, once
    del rdkit
    return Chem


def canonical_smiles(smiles: str) -> str | None:
    """RDKit's canonical SMILES (stereochemistry kept), or None when it does not parse."""
    if not isinstance(smiles, str) or not smiles.strip():
        return None
    chem = _chem()
    molecule = chem.MolFromSmiles(smiles.strip())
    if molecule is None:
        return None
    return str(chem.MolToSmiles(molecule, canonical=True))


def smiles_equivalent(first: str, second: str) -> bool:
    """Whether two SMILES denote the same molecule (False when either does not parse)."""
    a, b = canonical_smiles(first), canonical_smiles(second)
    return a is not None and a == b
