"""Compatibility only: streamflow 0.1's ``general`` package, kept so that existing imports work.

Not a domain: its operators now live in ``general_text`` (HashDeduplicateFilter,
MinHashDeduplicateFilter) and ``core_text`` (the LLM core operators, FieldRemover), and what LLM
operators share in ``streamflow.operators.llm``. Each module here re-exports its old names.
"""
