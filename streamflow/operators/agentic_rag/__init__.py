"""DataFlow's agentic_rag domain: verifiable atomic questions from documents, deeper and wider
questions built on them, and SQuAD's F1/exact-match to score answers."""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "AgenticRAGAtomicTaskGenerator": "generators",
        "AgenticRAGDepthQAGenerator": "generators",
        "AgenticRAGQAF1SampleEvaluator": "f1_sample_evaluator",
        "AgenticRAGWidthQAGenerator": "generators",
    },
    prompts={
        "AtomicTaskGeneratorAnswerPrompt": "prompts",
        "AtomicTaskGeneratorCleanQAPrompt": "prompts",
        "AtomicTaskGeneratorGetConlcusionPrompt": "prompts",
        "AtomicTaskGeneratorGetIdentifierPrompt": "prompts",
        "AtomicTaskGeneratorGoldenDocAnswerPrompt": "prompts",
        "AtomicTaskGeneratorOptionalAnswerPrompt": "prompts",
        "AtomicTaskGeneratorQuestionPrompt": "prompts",
        "AtomicTaskGeneratorRecallScorePrompt": "prompts",
        "DepthQAGeneratorAnswerPrompt": "prompts",
        "DepthQAGeneratorBackwardTaskPrompt": "prompts",
        "DepthQAGeneratorGetIdentifierPrompt": "prompts",
        "DepthQAGeneratorQuestionPrompt": "prompts",
        "DepthQAGeneratorRecallScorePrompt": "prompts",
        "DepthQAGeneratorSupersetCheckPrompt": "prompts",
        "WidthQAGeneratorMergePrompt": "prompts",
        "WidthQAGeneratorOriginCheckPrompt": "prompts",
        "WidthQAGeneratorQuestionVerifyPrompt": "prompts",
        "WidthQAGeneratorRecallScorePrompt": "prompts",
    },
)
