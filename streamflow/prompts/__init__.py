"""Prompt templates: the base every template derives from.

Domain templates live beside their operators.
"""
