"""DataFlow's general_text domain: text evaluators, filters, refiners and deduplication."""
