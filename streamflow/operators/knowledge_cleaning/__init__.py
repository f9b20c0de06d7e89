"""DataFlow's knowledge_cleaning domain: documents and URLs to Markdown, Markdown to chunks,
chunks cleaned by an LLM, and multi-hop QA made from them (the knowledge-base cleaning
pipeline)."""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "FileOrURLToMarkdownConverterAPI": "converters",
        "FileOrURLToMarkdownConverterFlash": "converters",
        "FileOrURLToMarkdownConverterLocal": "converters",
        "KBCChunkGenerator": "chunk_generator",
        "KBCChunkGeneratorBatch": "chunk_generator",
        "KBCMultiHopQAGeneratorBatch": "multihop_qa_batch",
        "KBCTextCleaner": "text_cleaner",
        "KBCTextCleanerBatch": "text_cleaner",
        "MathBookQuestionExtract": "mathbook_question_extract",
        "QAExtractor": "qa_extractor",
    },
    prompts={
        "KnowledgeCleanerPrompt": "prompts",
        "MathbookQuestionExtractPrompt": "prompts",
    },
)
