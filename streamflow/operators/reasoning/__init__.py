"""DataFlow's reasoning domain: math and general reasoning data. New questions from seeds (and
fused pairs), step-by-step solutions, k-sample pseudo answers, Qwen-style answer extraction,
per-question difficulty, category and solvability, dataset distributions, and the filters that
keep a solution only if it is well formed, short enough, non-repetitive and correct (math-verify
with a hard time limit per row).

Importing a name imports only its module: listing the domain stays cheap.
"""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
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
    },
    prompts={
        "AnswerJudgePrompt": "prompts",
        "AnswerJudgePromptQuestion": "prompts",
        "DiyAnswerGeneratorPrompt": "prompts",
        "DiyQuestionFilterPrompt": "prompts",
        "DiyQuestionSynthesisPrompt": "prompts",
        "GeneralAnswerGeneratorPrompt": "prompts",
        "GeneralQuestionFilterPrompt": "prompts",
        "GeneralQuestionSynthesisPrompt": "prompts",
        "MathAnswerGeneratorPrompt": "prompts",
        "MathQuestionCategoryPrompt": "prompts",
        "MathQuestionConditionFusionGeneratorPrompt": "prompts",
        "MathQuestionDifficultyPrompt": "prompts",
        "MathQuestionEvaluatorPrompt": "prompts",
        "MathQuestionFilterPrompt": "prompts",
        "MathQuestionParallelFusionGeneratorPrompt": "prompts",
        "MathQuestionSequentialFusionGeneratorPrompt": "prompts",
        "MathQuestionSynthesisPrompt": "prompts",
    },
)
