"""Compatibility only: streamflow 0.1's import path, kept so that existing code keeps working.

FieldRemover now lives in :mod:`streamflow.operators.core_text`.
"""

from __future__ import annotations

from streamflow.operators.core_text.field_remover import FieldRemover

__all__ = ["FieldRemover"]
