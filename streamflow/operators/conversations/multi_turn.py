"""MultiTurnConversationGenerator: a function-calling conversation per task, played by three
LLM agents (a user, an assistant that calls functions, and a tool that simulates them).

For each row:

1. the user agent writes the opening message from the composition task (JSON ``{"message"}``,
   at most 300 characters);
2. the assistant agent (system prompt: the sub-tasks and the row's functions) answers with JSON
   ``{"content", "tool_calls": [{"name", "arguments"}]}`` under a schema built from the row's
   own functions, so every call names one of them and its arguments follow that function's
   parameters (guided decoding on vLLM; ``response_format`` over HTTP): either a short note
   with calls, or a final answer without. On the last allowed turn the schema admits no call,
   which forces a final answer;
3. each call is run by the tool agent, which answers with a JSON object;
4. 2-3 repeat until the assistant answers without calls (at most ``max_turns`` assistant turns).

The conversation comes out in the OpenAI chat format::

    [{"role": "user", "content": "..."},
     {"role": "assistant", "content": "...", "tool_calls": [{"id": "call_1_0",
       "type": "function", "function": {"name": "...", "arguments": "{...}"}}]},
     {"role": "tool", "tool_call_id": "call_1_0", "content": "{...}"},
     {"role": "assistant", "content": "final answer"}]

Every tool call is checked against its function's parameters schema (jsonschema), whatever the
serving did; an unknown function, arguments that do not validate, an answer that is not JSON,
an empty final answer or no final answer within ``max_turns`` fails the row with the reason.
Optional arguments the model set to ``null`` are left out of the call (strict structured
output needs every property present). DataFlow runs five rounds for all rows together, parses
``<func_call>`` tags, and keeps rows that reached ``<final>``.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Annotated, Any, ClassVar

import anyio
import msgspec

from streamflow.actors.base import Generator
from streamflow.operators.conversations.base import ConversationOperator, field_text
from streamflow.operators.conversations.composition_filter import sub_tasks_of
from streamflow.operators.conversations.functions import check_tools
from streamflow.operators.conversations.prompts import (
    ConversationAssistantPrompt,
    ConversationToolPrompt,
    ConversationUserPrompt,
)
from streamflow.operators.structured import ask_structured, schema_errors
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing, Message

__all__ = ["MultiTurnConversationGenerator", "assistant_turn_schema", "tool_result_schema"]

CONTENT_MAX = 300
"""The final answer's length bound."""
NOTE_MAX = 100
"""The bound of the note that goes with tool calls."""
STRING_ARG_MAX = 60
ASSISTANT_TOKENS = 512
TOOL_TOKENS = 256
USER_TOKENS = 320


class OpeningMessage(msgspec.Struct, forbid_unknown_fields=True):
    """The user agent's first message, bounded so the conversation fits a model's context."""

    message: Annotated[str, msgspec.Meta(max_length=300)]


TOOL_RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "maxProperties": 8,
    "additionalProperties": {
        "anyOf": [
            {"type": "string", "maxLength": STRING_ARG_MAX},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "array", "maxItems": 8, "items": {"type": "string", "maxLength": 100}},
        ]
    },
}
_HUMAN = re.compile(r"</?\s*human\s*>", re.I)
REPLY_SHAPE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "content": {"type": "string"},
        "tool_calls": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "arguments": {"type": "object"}},
                "required": ["name", "arguments"],
            },
        },
    },
    "required": ["content", "tool_calls"],
}
"""What any reply must look like, whatever the serving enforced; each call's arguments are then
checked against its own function."""


def tool_result_schema() -> dict[str, Any]:
    """What the tool agent answers: a small flat JSON object (a copy the caller may change)."""
    return copy.deepcopy(TOOL_RESULT_SCHEMA)


def _generation_schema(schema: Any) -> Any:
    """A parameter's schema, bounded for generation (long strings, open arrays): the bounds
    only narrow it, so what is generated still validates against the original."""
    if not isinstance(schema, dict):
        return schema
    bounded = dict(schema)
    if bounded.get("type") == "string" and not {"maxLength", "enum", "const", "pattern"} & set(
        bounded
    ):
        bounded["maxLength"] = STRING_ARG_MAX
    if bounded.get("type") == "array":
        bounded.setdefault("maxItems", 8)
        bounded.setdefault("items", {"type": "string", "maxLength": 100})
    return bounded


def _call_schema(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool["function"]
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    properties = parameters.get("properties")
    if isinstance(properties, dict):
        required = set(parameters.get("required", []))
        arguments: dict[str, Any] = {
            "type": "object",
            "properties": {
                name: _generation_schema(spec)
                if name in required
                else {"anyOf": [_generation_schema(spec), {"type": "null"}]}
                for name, spec in properties.items()
            },
            "required": list(properties),
            "additionalProperties": False,
        }
    else:
        arguments = parameters
    return {
        "type": "object",
        "properties": {"name": {"const": function["name"]}, "arguments": arguments},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


def assistant_turn_schema(tools: list[dict[str, Any]], max_calls: int) -> dict[str, Any]:
    """The assistant's reply: a short note with 1 to ``max_calls`` calls of the given tools, or
    a final answer with none (only the latter when ``max_calls`` is 0)."""
    final = {
        "type": "object",
        "properties": {
            "content": {"type": "string", "minLength": 1, "maxLength": CONTENT_MAX},
            "tool_calls": {"type": "array", "maxItems": 0},
        },
        "required": ["content", "tool_calls"],
        "additionalProperties": False,
    }
    if max_calls < 1:
        return final
    calling = {
        "type": "object",
        "properties": {
            "content": {"type": "string", "maxLength": NOTE_MAX},
            "tool_calls": {
                "type": "array",
                "minItems": 1,
                "maxItems": max_calls,
                "items": {"anyOf": [_call_schema(t) for t in tools]},
            },
        },
        "required": ["content", "tool_calls"],
        "additionalProperties": False,
    }
    return {"anyOf": [calling, final]}


class MultiTurnConversationGenerator(ConversationOperator, Generator):
    """Writes ``output_conversations_key``: an OpenAI-format function-calling conversation.

    ``user_prompt``, ``assistant_prompt`` and ``tool_prompt`` replace the three agents'
    templates; ``max_turns`` (DataFlow: 5, fixed) bounds the assistant's turns and
    ``max_parallel_calls`` the calls in one turn; ``max_tokens`` overrides the serving's.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (
        ConversationUserPrompt,
        ConversationAssistantPrompt,
        ConversationToolPrompt,
    )

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        user_prompt: ConversationUserPrompt | DIYPromptABC | None = None,
        assistant_prompt: ConversationAssistantPrompt | DIYPromptABC | None = None,
        tool_prompt: ConversationToolPrompt | DIYPromptABC | None = None,
        max_turns: int = 5,
        max_parallel_calls: int = 2,
        max_tokens: int | None = None,
    ) -> None:
        if max_turns < 1 or max_parallel_calls < 1:
            raise ValueError("max_turns and max_parallel_calls must be at least 1")
        for template in (user_prompt, assistant_prompt, tool_prompt):
            self.check_prompt_template(template)
        self._setup(llm_serving, None, None, max_tokens)
        self.user_prompt = user_prompt or ConversationUserPrompt()
        self.assistant_prompt = assistant_prompt or ConversationAssistantPrompt()
        self.tool_prompt = tool_prompt or ConversationToolPrompt()
        self.max_turns = max_turns
        self.max_parallel_calls = max_parallel_calls

    async def process(
        self,
        rows: list[Row],
        input_task_key: str,
        input_sub_tasks_keys: list[str],
        input_functions_key: str,
        output_conversations_key: str = "conversations",
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = [Failure("not run")] * len(rows)

        async def one(i: int, row_id: str, row: Row) -> None:
            result = await self._converse(
                row_id, row, input_task_key, input_sub_tasks_keys, input_functions_key
            )
            out[i] = (
                result if isinstance(result, Failure) else {**row, output_conversations_key: result}
            )

        async with anyio.create_task_group() as tg:
            for i, (row_id, row) in enumerate(zip(row_ids(), rows, strict=True)):
                tg.start_soon(one, i, row_id, row)
        return out

    async def _converse(
        self, row_id: str, row: Row, task_key: str, sub_task_keys: list[str], functions_key: str
    ) -> list[dict[str, Any]] | Failure:
        given = row.get(functions_key)
        problem = check_tools(given)
        if problem:
            return Failure(f"field {functions_key!r}: {problem}")
        tools: list[dict[str, Any]] = list(given or [])
        task, sub_tasks = field_text(row, task_key), sub_tasks_of(row, sub_task_keys)
        if isinstance(task, Failure):
            return task
        if isinstance(sub_tasks, Failure):
            return sub_tasks
        by_name = {t["function"]["name"]: t for t in tools}
        (asked,) = await ask_structured(
            self.llm_serving,
            [self.user_prompt.build_prompt(task=task)],
            OpeningMessage,
            params=self._params(row_id, "user", USER_TOKENS),
        )
        if not isinstance(asked, OpeningMessage):
            failure = asked or Failure("no answer")
            return Failure(f"user turn: {failure.reason}", transient=failure.transient)
        opening = _HUMAN.sub("", asked.message).strip()
        if not opening:
            return Failure("user turn: the model's message was empty")
        conversation: list[dict[str, Any]] = [{"role": "user", "content": opening}]
        system = self.assistant_prompt.build_prompt(sub_task=sub_tasks, sub_task_func=tools)
        transcript: list[Message] = [
            {"role": "system", "content": system},
            {"role": "user", "content": opening},
        ]
        for turn in range(1, self.max_turns + 1):
            last = turn == self.max_turns
            schema = assistant_turn_schema(tools, 0 if last else self.max_parallel_calls)
            (reply,) = await ask_structured(
                self.llm_serving,
                [list(transcript)],
                dict[str, Any],
                schema=schema,
                params=self._params(row_id, f"assistant{turn}", ASSISTANT_TOKENS),
            )
            if not isinstance(reply, dict):
                return _turn_failure(turn, reply)
            invalid = schema_errors(reply, REPLY_SHAPE)
            if invalid:
                return Failure(
                    f"assistant turn {turn}: the reply does not fit its schema {invalid}"
                )
            content = reply["content"].strip()
            if not reply["tool_calls"]:
                if not content:
                    return Failure(f"assistant turn {turn}: empty final answer")
                conversation.append({"role": "assistant", "content": content})
                return conversation
            if last:
                return Failure(f"no final answer after {self.max_turns} assistant turns")
            calls = []
            for k, call in enumerate(reply["tool_calls"]):
                checked = _checked_call(call, by_name, turn, k)
                if isinstance(checked, Failure):
                    return checked
                calls.append(checked)
            conversation.append(
                {
                    "role": "assistant",
                    "content": content or None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {
                                "name": name,
                                "arguments": json.dumps(args, ensure_ascii=False),
                            },
                        }
                        for call_id, name, args in calls
                    ],
                }
            )
            transcript.append(
                {"role": "assistant", "content": json.dumps(reply, ensure_ascii=False)}
            )
            results = await ask_structured(
                self.llm_serving,
                [
                    self.tool_prompt.build_prompt(
                        function=json.dumps(
                            {
                                "definition": by_name[name]["function"],
                                "call": {"name": name, "arguments": args},
                            },
                            ensure_ascii=False,
                        )
                    )
                    for _, name, args in calls
                ],
                dict[str, Any],
                schema=tool_result_schema(),
                params=[
                    self._params(row_id, f"tool{turn}.{k}", TOOL_TOKENS) for k in range(len(calls))
                ],
            )
            lines = []
            for (call_id, name, _), result in zip(calls, results, strict=True):
                if not isinstance(result, dict):
                    failure = result or Failure("no answer")
                    return Failure(
                        f"tool {name} in turn {turn}: {failure.reason}", transient=failure.transient
                    )
                text = json.dumps(result, ensure_ascii=False)
                conversation.append({"role": "tool", "tool_call_id": call_id, "content": text})
                lines.append(f"{name} ({call_id}): {text}")
            transcript.append({"role": "user", "content": "Tool results:\n" + "\n".join(lines)})
        return Failure(f"no final answer after {self.max_turns} assistant turns")


def _checked_call(
    call: dict[str, Any], tools: dict[str, dict[str, Any]], turn: int, k: int
) -> tuple[str, str, dict[str, Any]] | Failure:
    """(call id, function name, arguments) once the arguments validate against the function."""
    name = call.get("name")
    where = f"assistant turn {turn}, call {k + 1}"
    if name not in tools:
        return Failure(f"{where}: unknown function {name!r}")
    function = tools[name]["function"]
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    required = set(parameters.get("required", []))
    arguments = call.get("arguments")
    if not isinstance(arguments, dict):
        return Failure(f"{where} ({name}): arguments are not a JSON object")
    arguments = {k: v for k, v in arguments.items() if v is not None or k in required}
    invalid = schema_errors(arguments, parameters)
    if invalid:
        return Failure(f"{where} ({name}): arguments do not fit the function's schema {invalid}")
    return f"call_{turn}_{k}", str(name), arguments


def _turn_failure(turn: int, reply: Any) -> Failure:
    failure = reply if isinstance(reply, Failure) else Failure("no answer")
    return Failure(f"assistant turn {turn}: {failure.reason}", transient=failure.transient)
