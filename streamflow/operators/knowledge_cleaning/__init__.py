"""DataFlow's knowledge_cleaning domain: documents and URLs to Markdown, Markdown to chunks,
chunks cleaned by an LLM, and multi-hop QA made from them (the knowledge-base cleaning
pipeline)."""
