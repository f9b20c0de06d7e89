"""FunctionGenerator: JSON-schema function definitions for a composition task's sub-tasks.

The model designs the functions as a flat list, each parameter with a name, a JSON type, a
description and whether it is required; the answer comes back as JSON under a schema the
serving enforces, and each function becomes an OpenAI tool definition::

    {"type": "function", "function": {"name": "get_forecast", "description": "...",
     "parameters": {"type": "object", "properties": {"city": {"type": "string",
     "description": "..."}}, "required": ["city"], "additionalProperties": false}}}

A definition that is not usable (two functions or two parameters with one name, a parameters
schema that is not a valid JSON schema) fails the row with the reason. DataFlow asks for the
functions grouped by sub-task, with their return values, and stores the model's raw text.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

import msgspec

from streamflow.actors.base import Generator
from streamflow.operators.conversations.base import ConversationOperator, field_text
from streamflow.operators.conversations.composition_filter import sub_tasks_of
from streamflow.operators.conversations.prompts import FuncGeneratePrompt
from streamflow.operators.structured import ask_structured, schema_of
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = [
    "FunctionGenerator",
    "FunctionSet",
    "FunctionSpec",
    "ParameterSpec",
    "check_tools",
    "to_tool",
]

Identifier = Annotated[str, msgspec.Meta(pattern="^[a-z][a-z0-9_]{0,31}$")]
# Bounds that keep a whole design within a small model's context even when it rambles.
Description = Annotated[str, msgspec.Meta(max_length=80)]
ParameterDescription = Annotated[str, msgspec.Meta(max_length=48)]
MOST_FUNCTIONS = 8
MOST_PARAMETERS = 8
JsonType = Literal["string", "number", "integer", "boolean", "array", "object"]
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")


class ParameterSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: Identifier
    type: JsonType
    description: ParameterDescription
    required: bool


class FunctionSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: Identifier
    description: Description
    parameters: Annotated[list[ParameterSpec], msgspec.Meta(max_length=MOST_PARAMETERS)]


class FunctionSet(msgspec.Struct, forbid_unknown_fields=True):
    functions: Annotated[list[FunctionSpec], msgspec.Meta(min_length=1, max_length=MOST_FUNCTIONS)]


def to_tool(spec: FunctionSpec) -> dict[str, Any]:
    """One function as an OpenAI tool definition."""
    properties = {p.name: {"type": p.type, "description": p.description} for p in spec.parameters}
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": [p.name for p in spec.parameters if p.required],
                "additionalProperties": False,
            },
        },
    }


def check_tools(tools: Any) -> str | None:
    """Why ``tools`` is not a usable list of OpenAI tool definitions (None when it is)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if not isinstance(tools, list) or not tools:
        return "no function definitions"
    seen: set[str] = set()
    for k, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type") != "function":
            return f"function {k}: not an OpenAI tool definition"
        name = function.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            return f"function {k}: invalid name {name!r}"
        if name in seen:
            return f"two functions are named {name!r}"
        seen.add(name)
        parameters = function.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(parameters, dict) or parameters.get("type") != "object":
            return f"function {name}: parameters must be a JSON schema of an object"
        try:
            Draft202012Validator.check_schema(parameters)
        except SchemaError as exc:
            return f"function {name}: invalid parameters schema: {exc.message}"
    return None


class FunctionGenerator(ConversationOperator, Generator):
    """Writes ``output_key``: the OpenAI tool definitions the sub-tasks need.

    ``max_functions`` (3) and ``max_parameters`` (4 per function) bound the design (not in
    DataFlow): the definitions go into every assistant turn's prompt, so they must leave room
    in the model's context for the conversation.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (FuncGeneratePrompt,)
    answer_tokens = 640

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        prompt_template: FuncGeneratePrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
        max_functions: int = 3,
        max_parameters: int = 4,
    ) -> None:
        if not (1 <= max_functions <= MOST_FUNCTIONS and 0 <= max_parameters <= MOST_PARAMETERS):
            raise ValueError(
                f"max_functions must be 1..{MOST_FUNCTIONS} and max_parameters 0..{MOST_PARAMETERS}"
            )
        self._setup(llm_serving, prompt_template, FuncGeneratePrompt(), max_tokens)
        self.max_functions = max_functions
        self.max_parameters = max_parameters

    def design_schema(self) -> dict[str, Any]:
        """The answer's schema, with this operator's bounds on functions and parameters."""
        schema = schema_of(FunctionSet)
        functions = schema["properties"]["functions"]
        functions["maxItems"] = self.max_functions
        functions["items"]["properties"]["parameters"]["maxItems"] = self.max_parameters
        return schema

    async def process(
        self,
        rows: list[Row],
        input_composition_task_key: str,
        input_sub_tasks_keys: list[str],
        output_key: str = "functions",
    ) -> list[Row | Failure]:
        prompts: list[str | Failure] = []
        for row in rows:
            task, sub_tasks = (
                field_text(row, input_composition_task_key),
                sub_tasks_of(row, input_sub_tasks_keys),
            )
            failed = task if isinstance(task, Failure) else sub_tasks
            prompts.append(
                failed
                if isinstance(failed, Failure)
                else self._prompt(task=task, sub_tasks=sub_tasks)
            )
        designs = await ask_structured(
            self.llm_serving,
            [p if isinstance(p, str) else None for p in prompts],
            FunctionSet,
            schema=self.design_schema(),
            params=[self._params(i) for i in row_ids()],
        )
        out: list[Row | Failure] = []
        for row, prompt, design in zip(rows, prompts, designs, strict=True):
            if isinstance(prompt, Failure):
                out.append(prompt)
            elif not isinstance(design, FunctionSet):
                out.append(design or Failure("no answer"))
            else:
                out.append(_tools(row, design, output_key))
        return out


def _tools(row: Row, design: FunctionSet, output_key: str) -> Row | Failure:
    for spec in design.functions:
        names = [p.name for p in spec.parameters]
        if len(set(names)) != len(names):
            return Failure(f"function {spec.name} has two parameters with one name")
    tools = [to_tool(spec) for spec in design.functions]
    problem = check_tools(tools)
    return Failure(problem) if problem else {**row, output_key: tools}
