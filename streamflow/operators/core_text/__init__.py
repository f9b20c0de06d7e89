"""DataFlow's core_text domain: the general-purpose operators every pipeline builds on.

The LLM operators driven by a prompt (PromptedGenerator, PromptedRefiner, PromptedEvaluator,
PromptedFilter, FormatStrPromptedGenerator, ChunkedPromptedGenerator, and streamflow's
JsonPromptedGenerator, which fills several fields from one schema-constrained answer), the
row housekeeping of streamflow's FieldRemover, and the retrieval and QA part: embeddings, a
retrieval index, question-answer generation and evaluation, and a diverse subset by embeddings;
benchmark answering and scoring (BenchAnswerGenerator and the bench evaluators), a row
predicate (GeneralFilter), DataFrame functions over the stream (PandasOperator), and SFT
samples from nothing (RandomDomainKnowledgeRowGenerator).
Each name is imported on first use.
"""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "BenchAnswerGenerator": "bench_answer_generator",
        "BenchDatasetEvaluator": "bench_evaluators",
        "BenchDatasetEvaluatorQuestion": "bench_evaluators",
        "ChunkedPromptedGenerator": "chunked_prompted_generator",
        "EmbeddingGenerator": "embedding_generator",
        "FieldRemover": "field_remover",
        "FormatStrPromptedGenerator": "format_str_prompted_generator",
        "GeneralFilter": "general_filter",
        "JsonPromptedGenerator": "json_prompted_generator",
        "KCenterGreedyFilter": "kcenter_greedy_filter",
        "PandasOperator": "pandas_operator",
        "PromptedEvaluator": "prompted_evaluator",
        "PromptedFilter": "prompted_filter",
        "PromptedGenerator": "prompted_generator",
        "PromptedRefiner": "prompted_refiner",
        "RandomDomainKnowledgeRowGenerator": "random_domain_knowledge",
        "RetrievalGenerator": "retrieval_generator",
        "Text2MultiHopQAGenerator": "multihop",
        "Text2QAGenerator": "text2qa_generator",
        "Text2QASampleEvaluator": "text2qa_evaluator",
        "UnifiedBenchDatasetEvaluator": "unified_bench_evaluator",
    },
    prompts={
        "AnswerJudgeMultipleQuestionsPrompt": "bench_prompts",
        "DIYPromptABC": "prompts",
        "FormatStrPrompt": "prompts",
        "SFTFromScratchGeneratorPrompt": "bench_prompts",
        "Text2MultiHopQAGeneratorPrompt": "qa_prompts",
        "Text2QAAnswerAlignmentPrompt": "qa_prompts",
        "Text2QAAnswerVerifiabilityPrompt": "qa_prompts",
        "Text2QAAutoPromptGeneratorPrompt": "qa_prompts",
        "Text2QADownstreamValuePrompt": "qa_prompts",
        "Text2QAQuestionQualityPrompt": "qa_prompts",
        "Text2QASeedQuestionGeneratorPrompt": "qa_prompts",
    },
)
