"""Domain-independent operators: deduplication and other general steps."""
