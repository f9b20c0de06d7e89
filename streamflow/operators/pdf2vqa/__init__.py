"""DataFlow's pdf2vqa domain: question-answer pairs (with their figures) extracted from PDF
textbooks and exam papers, formatted for multimodal fine-tuning."""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "LLMOutputParser": "operators",
        "MinerU2LLMInputOperator": "operators",
        "PDF_Merger": "operators",
        "QA_Merger": "operators",
        "VQAFormatter": "operators",
    },
    prompts={
        "QAExtractPrompt": "prompts",
    },
)
