"""Prompt templates of the conversations domain (DataFlow's names, streamflow's wording).

The function-calling templates follow BUTTON (Chen et al., *Facilitating Multi-turn Function
Calling via Compositional Instruction Tuning*): atomic tasks from scenarios, composed bottom-up
into multi-step tasks, then functions and a conversation top-down. Where an operator expects
JSON the template asks for it in words and the operator sends the schema the serving enforces.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from streamflow.operators.conversations.intents import INFORMATION_FLOWS, INTENT_TOPICS
from streamflow.prompts.base import PromptFieldError, PromptTemplate, as_text

__all__ = [
    "CompositionTaskFilterPrompt",
    "ConsistentChatPrompt",
    "ConversationAssistantPrompt",
    "ConversationEvalPrompt",
    "ConversationToolPrompt",
    "ConversationUserPrompt",
    "ExpandScenarioPrompt",
    "ExtractScenarioPrompt",
    "FuncAtomicTaskGeneratePrompt",
    "FuncGeneratePrompt",
    "ParathenSeqTaskGeneratePrompt",
    "SequentialTaskGeneratePrompt",
    "format_sub_tasks",
]


def format_sub_tasks(sub_tasks: Mapping[str, Any] | list[Any] | str) -> str:
    """Sub-tasks as a numbered list (DataFlow prints the dict of fields as it is)."""
    if isinstance(sub_tasks, str):
        return sub_tasks
    items = list(sub_tasks.values()) if isinstance(sub_tasks, Mapping) else list(sub_tasks)
    return "\n".join(f"{k}. {as_text(item)}" for k, item in enumerate(items, 1))


class ConsistentChatPrompt(PromptTemplate):
    """Two requests per dialogue: the user's turns on one topic (``mode="query"``), then the
    assistant's answers to all of them at once (``mode="response"``).

    ``query_intent_categories`` (intent -> information flows) and ``query_topic_dict``
    (intent -> topics) are DataFlow's attribute names; both may be replaced.
    """

    def __init__(
        self,
        intent_flows: dict[str, list[str]] | None = None,
        intent_topics: dict[str, list[str]] | None = None,
    ) -> None:
        self.query_intent_categories = intent_flows or INFORMATION_FLOWS
        self.query_topic_dict = intent_topics or INTENT_TOPICS
        missing = [i for i in self.query_intent_categories if not self.query_topic_dict.get(i)]
        if missing:
            raise ValueError(f"ConsistentChatPrompt: intents without topics: {', '.join(missing)}")

    def build_prompt(
        self,
        mode: Literal["query", "response"],
        topic: str | None = None,
        info_flow: str | None = None,
        queries: list[str] | None = None,
        num_turns: int = 6,
    ) -> str:
        if topic is None:
            raise PromptFieldError("ConsistentChatPrompt needs topic")
        if mode == "query":
            flow = f"Let the information flow {info_flow.lower()}. " if info_flow else ""
            return (
                f"Write the user's side of a conversation with an AI assistant: {num_turns} "
                f"messages, all about one core topic: {topic}.\n"
                f"{flow}Each message builds on the previous ones, as a real person's would: "
                "sometimes short or vague, sometimes with background, in everyday language, "
                "without repeating the topic's wording. Do not write the assistant's answers.\n"
                'Reply in JSON: {"category": "<the core topic>", "turns": ["<message 1>", ...]}'
            )
        if mode == "response":
            if not queries:
                raise PromptFieldError("ConsistentChatPrompt(mode='response') needs queries")
            listed = "\n".join(f"{k}. {q}" for k, q in enumerate(queries, 1))
            return (
                f"A user asks an AI assistant these {len(queries)} questions in turn, about "
                f"{topic}:\n{listed}\n\n"
                "Write the assistant's answer to each, in order. Each answer addresses its own "
                "question directly and usefully, stays consistent with the earlier answers, and "
                "leads naturally to the next question without answering it early. Be warm and "
                "concise; give steps or suggestions rather than asking questions back.\n"
                'Reply in JSON: {"responses": ["<answer 1>", ...]} with one answer per question.'
            )
        raise PromptFieldError(
            f"ConsistentChatPrompt: mode must be 'query' or 'response', not {mode!r}"
        )


class ExtractScenarioPrompt(PromptTemplate):
    def build_prompt(self, conversation: str) -> str:
        return (
            "Read this conversation between a user and an assistant and name the everyday "
            "scenario it belongs to, in at most 10 words (for example 'booking a flight' or "
            "'ordering a meal'). Leave out specifics such as names and numbers. Reply with the "
            f"scenario only.\n\nConversation:\n{conversation}\n\nScenario:"
        )


class ExpandScenarioPrompt(PromptTemplate):
    def build_prompt(self, scenario: str) -> str:
        return (
            "Invent a new everyday scenario that is clearly different from the one below: change "
            "its action or its subject, keep it realistic, keep the same style. Reply with one "
            f"sentence of at most 10 words.\n\nOriginal scenario: {scenario}\n\nNew scenario:"
        )


_ROLE = (
    "We are training a model that reads a user's task and a list of available functions and "
    "answers with the function calls that complete the task."
)


class FuncAtomicTaskGeneratePrompt(PromptTemplate):
    def build_prompt(self, scenario: str) -> str:
        return (
            f"{_ROLE} Write one basic task, set in the scenario below, that a single function "
            "call can complete.\n"
            "- It is a realistic task for that scenario.\n"
            "- It states every detail the call needs (names, dates, amounts); the model cannot "
            "ask back or see your personal data.\n"
            "- It names no function or tool and suggests no solution.\n"
            "- At most 30 words, plain and specific.\n\n"
            f"Scenario: {scenario}\n\nReply with the task only, on one line:"
        )


class SequentialTaskGeneratePrompt(PromptTemplate):
    def build_prompt(self, task: str) -> str:
        return (
            f"{_ROLE} Make the task below more complex by adding a subsequent task: one that "
            "needs the given task's result as its input and so can only run after it. Then "
            "write the composition task: a single request that asks for both.\n\n"
            "Example\nGiven task: Find the flights from Oslo to Bergen tomorrow.\n"
            "Subsequent task: Which of these flights is cheapest?\n"
            "Composition task: Find the cheapest flight from Oslo to Bergen tomorrow.\n\n"
            f"Given task: {task}\n"
            'Reply in JSON: {"subsequent_task": "...", "composition_task": "..."}'
        )


class ParathenSeqTaskGeneratePrompt(PromptTemplate):
    """Parallel, then subsequent task (DataFlow's class name, spelling included)."""

    def build_prompt(self, task: str) -> str:
        return (
            f"{_ROLE} Make the task below more complex in two steps.\n"
            "1. A parallel task: related to the given task but independent of its result, so "
            "both can run at the same time.\n"
            "2. A subsequent task: one that needs the results of both the given and the "
            "parallel task.\n"
            "Then write the composition task: one request that asks for all of it.\n\n"
            "Example\nGiven task: Get today's weather forecast for Lisbon.\n"
            "Parallel task: Get today's weather forecast for Porto.\n"
            "Subsequent task: Which of the two cities will be warmer this afternoon?\n"
            "Composition task: Tell me whether Lisbon or Porto will be warmer this afternoon.\n\n"
            f"Given task: {task}\n"
            'Reply in JSON: {"parallel_task": "...", "subsequent_task": "...", '
            '"composition_task": "..."}'
        )


class CompositionTaskFilterPrompt(PromptTemplate):
    def build_prompt(self, task: str, sub_tasks: Any) -> str:
        return (
            "You are an expert in breaking tasks down. Decide whether the sub-tasks below, done "
            "in order, complete the composition task. Think it through briefly, then answer "
            "yes or no.\n\n"
            f"Composition task: {task}\n\nSub-tasks:\n{format_sub_tasks(sub_tasks)}\n\n"
            'Reply in JSON: {"analysis": "...", "answer": "yes" | "no"}'
        )


class FuncGeneratePrompt(PromptTemplate):
    def build_prompt(self, task: str, sub_tasks: Any) -> str:
        return (
            f"{_ROLE} Design the functions (APIs) that the sub-tasks below need, so that calling "
            "them in order completes the composition task.\n"
            "- Short, clear snake_case names and descriptions.\n"
            "- General-purpose: reusable for other tasks, not tailored to this one; no task "
            "details in names or descriptions.\n"
            "- One job per function; the output of one call can feed the next.\n"
            "- A sub-task that is only reasoning, comparison or arithmetic needs no function.\n"
            "- Each parameter has a name, a JSON type (string, number, integer, boolean, array, "
            "object), a description, and whether it is required.\n\n"
            f"Composition task: {task}\n\nSub-tasks:\n{format_sub_tasks(sub_tasks)}\n\n"
            'Reply in JSON: {"functions": [{"name": "...", "description": "...", "parameters": '
            '[{"name": "...", "type": "...", "description": "...", "required": true}]}]}'
        )


class ConversationUserPrompt(PromptTemplate):
    def build_prompt(self, task: str) -> str:
        return (
            "You play a user who asks an AI assistant for help with this task:\n"
            f"{task}\n\n"
            "Write your first message to the assistant, as a person would: say briefly what you "
            "need and give the details (names, dates, numbers) it will need, but do not say "
            "which steps or tools to use.\n"
            'Reply in JSON: {"message": "..."}'
        )


class ConversationAssistantPrompt(PromptTemplate):
    """The assistant's system prompt: the sub-tasks and the functions it may call."""

    def build_prompt(self, sub_task: Any, sub_task_func: Any) -> str:
        functions = (
            sub_task_func
            if isinstance(sub_task_func, str)
            else json.dumps(sub_task_func, ensure_ascii=False, separators=(",", ":"))
        )
        return (
            "You are an assistant that solves users' tasks by calling functions. You know how "
            f"the task breaks down:\n{format_sub_tasks(sub_task)}\n\n"
            f"Functions you can call (JSON schema of each):\n{functions}\n\n"
            'Each reply is JSON with two fields. "content": what you tell the user (your plan '
            "on the first turn, a short note while calling functions, the full answer at the "
            'end). "tool_calls": the calls to make now, each {"name", "arguments"} with '
            "arguments that follow the function's schema; independent calls may go together. "
            "Use the functions rather than your own knowledge, read their results (given back "
            "to you as tool results) before the next step, and when the task is done reply with "
            'the final answer in "content" and no tool calls.'
        )


class ConversationToolPrompt(PromptTemplate):
    def build_prompt(self, function: Any) -> str:
        return (
            "You simulate a computer system that runs any function it is given, correctly. "
            "Execute this function call and reply with its result as a JSON object, nothing "
            f"else:\n{as_text(function)}"
        )


class ConversationEvalPrompt(PromptTemplate):
    def build_prompt(self, conversation: Any) -> str:
        return (
            "You strictly evaluate function-calling dialogues. Judge only whether the tools are "
            "used correctly and in a logical order, with reasonable arguments, and score from 1 "
            "to 5: 5 excellent, 4 minor flaws, 3 noticeable problems, 2 major issues, 1 "
            "incoherent or irrelevant tool use.\n\n"
            f"Conversation:\n{as_text(conversation)}\n\n"
            'Reply in JSON: {"score": <1-5>, "explanation": "..."}'
        )
