"""The operator library, one subpackage per domain (general, text, reasoning, code, ...)."""
