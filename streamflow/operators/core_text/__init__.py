"""DataFlow's core_text domain (retrieval and QA part): embeddings, a retrieval index,
question-answer generation and evaluation, and a diverse subset by embeddings."""
