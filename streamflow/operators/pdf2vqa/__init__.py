"""DataFlow's pdf2vqa domain: question-answer pairs (with their figures) extracted from PDF
textbooks and exam papers, formatted for multimodal fine-tuning."""

# Name -> module, for the lazy registration of issue 10 (lazy_domain(operators=...,
# prompts=...)); until it lands, import the modules directly.
OPERATORS: dict[str, str] = {
    "PDF_Merger": "operators",
    "MinerU2LLMInputOperator": "operators",
    "LLMOutputParser": "operators",
    "QA_Merger": "operators",
    "VQAFormatter": "operators",
}
PROMPTS: dict[str, str] = {
    "QAExtractPrompt": "prompts",
}
