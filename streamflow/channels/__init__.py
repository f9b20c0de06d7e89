"""Bounded channels of row batches and the statistics the actors keep."""

from streamflow.channels.stats import OperatorStats, RunStats

__all__ = ["OperatorStats", "RunStats"]
