"""Text operators: rule-based filters, refiners, HTML extraction."""
