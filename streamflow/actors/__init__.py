"""Operator kinds, the registry, and the actor that runs one operator."""
