"""DataFlow's knowledge_cleaning domain: documents and URLs to Markdown, Markdown to chunks,
chunks cleaned by an LLM, and multi-hop QA made from them (the knowledge-base cleaning
pipeline)."""

# Name -> module, for the lazy registration of issue 10 (lazy_domain(operators=...,
# prompts=...)); until it lands, import the modules directly.
OPERATORS: dict[str, str] = {
    "FileOrURLToMarkdownConverterLocal": "converters",
    "FileOrURLToMarkdownConverterAPI": "converters",
    "FileOrURLToMarkdownConverterFlash": "converters",
    "KBCChunkGenerator": "chunk_generator",
    "KBCChunkGeneratorBatch": "chunk_generator",
    "KBCTextCleaner": "text_cleaner",
    "KBCTextCleanerBatch": "text_cleaner",
    "KBCMultiHopQAGeneratorBatch": "multihop_qa_batch",
    "QAExtractor": "qa_extractor",
    "MathBookQuestionExtract": "mathbook_question_extract",
}
PROMPTS: dict[str, str] = {
    "KnowledgeCleanerPrompt": "prompts",
    "MathbookQuestionExtractPrompt": "prompts",
}
