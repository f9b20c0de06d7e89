"""DataFlow's conversations domain: topic-consistent multi-turn dialogues made from nothing
(ConsistentChat) and function-calling conversations synthesized bottom-up then top-down
(BUTTON: scenarios -> atomic and composed tasks -> functions -> user/assistant/tool dialogue),
with their filter and judge."""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "ConsistentChatGenerator": "consistent_chat",
        "ScenarioExtractGenerator": "scenario",
        "ScenarioExpandGenerator": "scenario",
        "AtomTaskGenerator": "tasks",
        "SequentialTaskGenerator": "tasks",
        "ParaSeqTaskGenerator": "tasks",
        "CompositionTaskFilter": "composition_filter",
        "FunctionGenerator": "functions",
        "MultiTurnConversationGenerator": "multi_turn",
        "FuncCallConversationSampleEvaluator": "evaluator",
    },
    prompts={
        "ConsistentChatPrompt": "prompts",
        "ExtractScenarioPrompt": "prompts",
        "ExpandScenarioPrompt": "prompts",
        "FuncAtomicTaskGeneratePrompt": "prompts",
        "SequentialTaskGeneratePrompt": "prompts",
        "ParathenSeqTaskGeneratePrompt": "prompts",
        "CompositionTaskFilterPrompt": "prompts",
        "FuncGeneratePrompt": "prompts",
        "ConversationUserPrompt": "prompts",
        "ConversationAssistantPrompt": "prompts",
        "ConversationToolPrompt": "prompts",
        "ConversationEvalPrompt": "prompts",
    },
)
