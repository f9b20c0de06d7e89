"""DataFlow's core_text domain (retrieval and QA part): embeddings, a retrieval index,
question-answer generation and evaluation, and a diverse subset by embeddings."""

# Name -> module, for the lazy registration of issue 10 (lazy_domain(operators=...,
# prompts=...)); until it lands, import the modules directly.
OPERATORS: dict[str, str] = {
    "EmbeddingGenerator": "embedding_generator",
    "RetrievalGenerator": "retrieval_generator",
    "Text2QAGenerator": "text2qa_generator",
    "Text2MultiHopQAGenerator": "multihop",
    "Text2QASampleEvaluator": "text2qa_evaluator",
    "KCenterGreedyFilter": "kcenter_greedy_filter",
}
PROMPTS: dict[str, str] = {
    "Text2QAAutoPromptGeneratorPrompt": "qa_prompts",
    "Text2QASeedQuestionGeneratorPrompt": "qa_prompts",
    "Text2QAQuestionQualityPrompt": "qa_prompts",
    "Text2QAAnswerAlignmentPrompt": "qa_prompts",
    "Text2QAAnswerVerifiabilityPrompt": "qa_prompts",
    "Text2QADownstreamValuePrompt": "qa_prompts",
    "Text2MultiHopQAGeneratorPrompt": "qa_prompts",
}
