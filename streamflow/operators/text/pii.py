"""Compatibility only: streamflow 0.1's import path, kept so that existing code keeps working.

PIIRefiner now lives in :mod:`streamflow.operators.web`.
"""

from __future__ import annotations

from streamflow.operators.web.pii_refiner import PIIRefiner

__all__ = ["PIIRefiner"]
