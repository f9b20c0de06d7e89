"""DataFlow's agentic_rag domain: verifiable atomic questions from documents, deeper and wider
questions built on them, and SQuAD's F1/exact-match to score answers."""
