"""Compatibility only: streamflow 0.1's ``text`` package, kept so that existing imports work.

Not a domain: its operators now live in ``general_text`` (DataFlow's rule-based filters and
refiners, LanguageFilter) and ``web`` (HTML extraction, Gopher/C4/FineWeb rules, URL blocklist,
PII masking, LanguageIdentifier). Each module here re-exports its old names from there.
"""
