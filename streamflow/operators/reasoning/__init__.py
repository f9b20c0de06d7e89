"""DataFlow's reasoning domain: math and general reasoning data. New questions from seeds (and
fused pairs), step-by-step solutions, k-sample pseudo answers, Qwen-style answer extraction,
per-question difficulty, category and solvability, dataset distributions, and the filters that
keep a solution only if it is well formed, short enough, non-repetitive and correct (math-verify
with a hard time limit per row).

Importing a name imports only its module: listing the domain stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

OPERATORS = {
    "ReasoningAnswerExtractionQwenMathEvalGenerator": "answer_extraction",
    "ReasoningAnswerFormatterFilter": "answer_filters",
    "ReasoningAnswerGenerator": "answer_generator",
    "ReasoningAnswerGroundTruthFilter": "ground_truth_filter",
    "ReasoningAnswerModelJudgeFilter": "model_judge_filter",
    "ReasoningAnswerNgramFilter": "answer_filters",
    "ReasoningAnswerPipelineRootFilter": "answer_filters",
    "ReasoningAnswerTokenLengthFilter": "answer_filters",
    "ReasoningCategoryDatasetEvaluator": "dataset_evaluators",
    "ReasoningDifficultyDatasetEvaluator": "dataset_evaluators",
    "ReasoningPretrainFormatConvertGenerator": "pretrain_format",
    "ReasoningPseudoAnswerGenerator": "pseudo_answer_generator",
    "ReasoningQuestionCategorySampleEvaluator": "question_evaluators",
    "ReasoningQuestionDifficultySampleEvaluator": "question_evaluators",
    "ReasoningQuestionFilter": "question_filter",
    "ReasoningQuestionFusionGenerator": "question_fusion_generator",
    "ReasoningQuestionGenerator": "question_generator",
    "ReasoningQuestionSolvableSampleEvaluator": "question_evaluators",
    "ReasoningTokenDatasetEvaluator": "dataset_evaluators",
}
PROMPTS = dict.fromkeys(
    [
        "AnswerJudgePrompt",
        "AnswerJudgePromptQuestion",
        "DiyAnswerGeneratorPrompt",
        "DiyQuestionFilterPrompt",
        "DiyQuestionSynthesisPrompt",
        "GeneralAnswerGeneratorPrompt",
        "GeneralQuestionFilterPrompt",
        "GeneralQuestionSynthesisPrompt",
        "MathAnswerGeneratorPrompt",
        "MathQuestionCategoryPrompt",
        "MathQuestionConditionFusionGeneratorPrompt",
        "MathQuestionDifficultyPrompt",
        "MathQuestionEvaluatorPrompt",
        "MathQuestionFilterPrompt",
        "MathQuestionParallelFusionGeneratorPrompt",
        "MathQuestionSequentialFusionGeneratorPrompt",
        "MathQuestionSynthesisPrompt",
    ],
    "prompts",
)

__all__ = sorted([*OPERATORS, *PROMPTS])


def __getattr__(name: str) -> Any:
    module = OPERATORS.get(name) or PROMPTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return __all__
