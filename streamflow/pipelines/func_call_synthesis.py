"""func_call_synthesis: function-calling conversations from everyday chats (DataFlow's
``func_call_synthesis``, after BUTTON).

Bottom-up, then top-down: each chat's scenario is named and expanded into a new one; an atomic
task is set in the new scenario and composed with a subsequent task; compositions whose
sub-tasks do not complete them are dropped; functions (OpenAI tool definitions with JSON-schema
parameters) are designed for the sub-tasks; a user, an assistant and a tool agent play out the
conversation, every tool call validated against its function's schema; a judge scores it.
DataFlow sets the atomic task in the extracted scenario and leaves the expanded one unused.
By default it reads ten sample chats shipped with streamflow::

    streamflow run func_call_synthesis --output calls.jsonl --run-dir runs/calls
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.conversations.composition_filter import CompositionTaskFilter
from streamflow.operators.conversations.evaluator import FuncCallConversationSampleEvaluator
from streamflow.operators.conversations.functions import FunctionGenerator
from streamflow.operators.conversations.multi_turn import MultiTurnConversationGenerator
from streamflow.operators.conversations.scenario import (
    ScenarioExpandGenerator,
    ScenarioExtractGenerator,
)
from streamflow.operators.conversations.tasks import AtomTaskGenerator, SequentialTaskGenerator
from streamflow.pipeline import Pipeline
from streamflow.serving.base import LLMServing, SamplingParams
from streamflow.storage import FileStorage

SAMPLE = Path(str(resources.files("streamflow.pipelines") / "samples" / "func_call_synthesis"))
SUB_TASKS = ["atom_task", "subsequent_task"]


class FuncCallSynthesisPipeline(Pipeline):
    """Chats -> scenarios -> composed tasks -> functions -> tool-calling conversations."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        max_tokens: int = 768,
        max_turns: int = 4,
        max_parallel_calls: int = 2,
    ) -> None:
        self.storage = FileStorage(
            str(SAMPLE / "chat_data.jsonl"), output_file="func_call_synthesis.jsonl"
        )
        if llm_serving is None:
            from streamflow.serving.vllm_backend import VLLMServing

            # SmolLM2 reads 8k tokens; 2k leaves room for long prompts and JSON answers
            llm_serving = VLLMServing(
                params=SamplingParams(max_tokens=max_tokens), max_model_len=2048
            )
        short = min(max_tokens, 64)
        self.scenario_extractor = ScenarioExtractGenerator(llm_serving, max_tokens=short)
        self.scenario_expander = ScenarioExpandGenerator(llm_serving, max_tokens=short)
        self.atom_task_generator = AtomTaskGenerator(llm_serving, max_tokens=short * 2)
        self.sequential_task_generator = SequentialTaskGenerator(llm_serving, max_tokens=max_tokens)
        self.composition_task_filter = CompositionTaskFilter(llm_serving, max_tokens=max_tokens)
        self.function_generator = FunctionGenerator(llm_serving, max_tokens=max_tokens)
        self.multi_turn_conversations_generator = MultiTurnConversationGenerator(
            llm_serving,
            max_turns=max_turns,
            max_parallel_calls=max_parallel_calls,
            max_tokens=max_tokens,
        )
        self.evaluator = FuncCallConversationSampleEvaluator(llm_serving, max_tokens=max_tokens)

    def forward(self) -> None:
        self.scenario_extractor.run(self.storage.step(), input_chat_key="chat")
        self.scenario_expander.run(self.storage.step(), input_scenario_key="scenario")
        self.atom_task_generator.run(self.storage.step(), input_scenario_key="modified_scenario")
        self.sequential_task_generator.run(self.storage.step(), input_task_key="atom_task")
        self.composition_task_filter.run(
            self.storage.step(),
            input_composition_task_key="composition_task",
            input_sub_tasks_keys=SUB_TASKS,
        )
        self.function_generator.run(
            self.storage.step(),
            input_composition_task_key="composition_task",
            input_sub_tasks_keys=SUB_TASKS,
        )
        self.multi_turn_conversations_generator.run(
            self.storage.step(),
            input_task_key="composition_task",
            input_sub_tasks_keys=SUB_TASKS,
            input_functions_key="functions",
        )
        self.evaluator.run(self.storage.step(), input_conversation_key="conversations")
