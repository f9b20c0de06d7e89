"""DataFlow's agentic_rag domain: verifiable atomic questions from documents, deeper and wider
questions built on them, and SQuAD's F1/exact-match to score answers."""

# Name -> module, for the lazy registration of issue 10 (lazy_domain(operators=...,
# prompts=...)); until it lands, import the modules directly.
OPERATORS: dict[str, str] = {
    "AgenticRAGAtomicTaskGenerator": "generators",
    "AgenticRAGDepthQAGenerator": "generators",
    "AgenticRAGWidthQAGenerator": "generators",
    "AgenticRAGQAF1SampleEvaluator": "f1_sample_evaluator",
}
PROMPTS: dict[str, str] = {
    "AtomicTaskGeneratorGetIdentifierPrompt": "prompts",
    "AtomicTaskGeneratorGetConlcusionPrompt": "prompts",
    "AtomicTaskGeneratorQuestionPrompt": "prompts",
    "AtomicTaskGeneratorCleanQAPrompt": "prompts",
    "AtomicTaskGeneratorAnswerPrompt": "prompts",
    "AtomicTaskGeneratorRecallScorePrompt": "prompts",
    "AtomicTaskGeneratorOptionalAnswerPrompt": "prompts",
    "AtomicTaskGeneratorGoldenDocAnswerPrompt": "prompts",
    "DepthQAGeneratorGetIdentifierPrompt": "prompts",
    "DepthQAGeneratorBackwardTaskPrompt": "prompts",
    "DepthQAGeneratorSupersetCheckPrompt": "prompts",
    "DepthQAGeneratorQuestionPrompt": "prompts",
    "DepthQAGeneratorAnswerPrompt": "prompts",
    "DepthQAGeneratorRecallScorePrompt": "prompts",
    "WidthQAGeneratorMergePrompt": "prompts",
    "WidthQAGeneratorOriginCheckPrompt": "prompts",
    "WidthQAGeneratorQuestionVerifyPrompt": "prompts",
    "WidthQAGeneratorRecallScorePrompt": "prompts",
}
