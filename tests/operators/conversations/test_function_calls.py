"""The function-calling operators (BUTTON) on a scripted serving."""

from __future__ import annotations

import json

import msgspec
import pytest
from scripted_models import FUNCTIONS
from scripted_models import button_model as answer

from streamflow.operators.conversations import (
    AtomTaskGenerator,
    CompositionTaskFilter,
    FuncCallConversationSampleEvaluator,
    FunctionGenerator,
    MultiTurnConversationGenerator,
    ParaSeqTaskGenerator,
    ScenarioExpandGenerator,
    ScenarioExtractGenerator,
    SequentialTaskGenerator,
)
from streamflow.operators.conversations.functions import (
    FunctionSet,
    check_tools,
    to_tool,
)
from streamflow.operators.conversations.multi_turn import assistant_turn_schema
from streamflow.operators.conversations.tasks import SequentialTasks
from streamflow.operators.structured import schema_errors, schema_of
from streamflow.testing import ScriptedServing, apply

TASK_ROW = {
    "atom_task": "Find bike rentals in Oslo on 2025-06-01.",
    "subsequent_task": "Which rental is cheapest?",
    "composition_task": "Find the cheapest bike rental in Oslo on 2025-06-01.",
}
SUB_TASKS = ["atom_task", "subsequent_task"]


def tools() -> list[dict]:
    """The scripted model's functions as the generator makes them."""
    return [to_tool(spec) for spec in msgspec.convert(FUNCTIONS, FunctionSet).functions]


def test_scenarios_and_atomic_tasks_are_one_clean_line():
    serving = ScriptedServing(answer)
    out = apply(
        ScenarioExtractGenerator(serving),
        [{"chat": "USER: book me a flight"}, {"chat": ""}],
        input_chat_key="chat",
    )
    assert out.batch.rows[0]["scenario"] == "Booking a flight"
    assert out.failed[0][2] == "empty or missing field 'chat'"
    assert "USER: book me a flight" in serving.prompts[0]
    out = apply(
        ScenarioExpandGenerator(serving),
        [{"scenario": "Booking a flight"}],
        input_scenario_key="scenario",
    )
    assert out.batch.rows[0]["modified_scenario"] == "Renting a bicycle"
    out = apply(
        AtomTaskGenerator(serving),
        [{"s": "Renting a bicycle"}],
        input_scenario_key="s",
        output_key="t",
    )
    assert out.batch.rows[0]["t"] == "Find bike rentals in Oslo on 2025-06-01"
    blank = ScriptedServing(lambda p: "  \n ")
    out = apply(AtomTaskGenerator(blank), [{"s": "x"}], input_scenario_key="s")
    assert out.failed[0][2] == "the model's answer was empty"


def test_compositions_come_back_as_fields():
    serving = ScriptedServing(answer)
    out = apply(
        SequentialTaskGenerator(serving),
        [{"atom_task": TASK_ROW["atom_task"]}],
        input_task_key="atom_task",
    )
    assert out.batch.rows[0]["subsequent_task"] == "Which rental is cheapest?"
    assert out.batch.rows[0]["composition_task"].startswith("Find the cheapest")
    assert serving.requests[-1][1] == schema_of(SequentialTasks)
    out = apply(
        ParaSeqTaskGenerator(serving),
        [{"t": "x"}],
        input_task_key="t",
        output_parallel_task_key="par",
    )
    assert set(out.batch.rows[0]) == {"t", "par", "subsequent_task", "composition_task"}
    broken = ScriptedServing(lambda p: "### Subsequent Task: something")
    out = apply(SequentialTaskGenerator(broken), [{"t": "x"}], input_task_key="t")
    assert out.failed[0][2].startswith("answer is not valid JSON")


def test_composition_filter_keeps_doable_tasks():
    serving = ScriptedServing(answer)
    rows = [
        dict(TASK_ROW),
        {**TASK_ROW, "composition_task": "UNDOABLE task"},
        {"composition_task": "x"},
    ]
    out = apply(
        CompositionTaskFilter(serving),
        rows,
        input_composition_task_key="composition_task",
        input_sub_tasks_keys=SUB_TASKS,
    )
    assert out.batch.rows == [{**TASK_ROW, "runable_label": 1}]
    assert (
        out.dropped[0].reason == "the sub-tasks do not complete the task: The steps cover the task."
    )
    assert out.failed[0][2] == "empty or missing field 'atom_task'"
    assert "1. Find bike rentals" in serving.prompts[0] and "2. Which rental" in serving.prompts[0]


def test_function_definitions_are_openai_tools_with_json_schemas():
    serving = ScriptedServing(answer)
    out = apply(
        FunctionGenerator(serving),
        [dict(TASK_ROW)],
        input_composition_task_key="composition_task",
        input_sub_tasks_keys=SUB_TASKS,
    )
    made = out.batch.rows[0]["functions"]
    assert made == tools()
    search = made[0]["function"]
    assert search["parameters"]["required"] == ["city", "date"]
    assert search["parameters"]["properties"]["max_price"] == {
        "type": "number",
        "description": "Price cap",
    }
    assert check_tools(made) is None
    assert schema_errors({"city": "Oslo", "date": "2025-06-01"}, search["parameters"]) is None
    assert "max_price" in schema_errors(
        {"city": "Oslo", "date": "d", "max_price": "cheap"}, search["parameters"]
    )
    schema = serving.requests[0][1]
    assert schema == FunctionGenerator(serving).design_schema()
    assert schema["properties"]["functions"]["maxItems"] == 3
    assert schema["properties"]["functions"]["items"]["properties"]["parameters"]["maxItems"] == 4
    wide = FunctionGenerator(serving, max_functions=5, max_parameters=6).design_schema()
    assert wide["properties"]["functions"]["maxItems"] == 5
    with pytest.raises(ValueError, match="max_functions"):
        FunctionGenerator(serving, max_functions=0)


def test_function_designs_that_cannot_be_used_fail():
    twice = json.loads(json.dumps(FUNCTIONS))
    twice["functions"][1]["name"] = "search_rentals"
    out = apply(
        FunctionGenerator(ScriptedServing(lambda p: json.dumps(twice))),
        [dict(TASK_ROW)],
        input_composition_task_key="composition_task",
        input_sub_tasks_keys=SUB_TASKS,
    )
    assert out.failed[0][2] == "two functions are named 'search_rentals'"
    bad_name = json.loads(json.dumps(FUNCTIONS))
    bad_name["functions"][0]["name"] = "Search Rentals"
    out = apply(
        FunctionGenerator(ScriptedServing(lambda p: json.dumps(bad_name))),
        [dict(TASK_ROW)],
        input_composition_task_key="composition_task",
        input_sub_tasks_keys=SUB_TASKS,
    )
    assert "does not fit the schema" in out.failed[0][2]
    assert check_tools([]) == "no function definitions"
    assert "not an OpenAI tool" in check_tools([{"name": "f"}])


def is_assistant_turn(schema) -> bool:
    if schema is None:
        return False
    return "anyOf" in schema or "tool_calls" in schema.get("properties", {})


def converse(serving, row, **options):
    op = MultiTurnConversationGenerator(serving, **options)
    return apply(
        op,
        [row],
        input_task_key="composition_task",
        input_sub_tasks_keys=SUB_TASKS,
        input_functions_key="functions",
    )


def test_conversation_in_openai_format_with_validated_tool_calls():
    serving = ScriptedServing(answer)
    out = converse(serving, {**TASK_ROW, "functions": tools()})
    assert out.failed == []
    conversation = out.batch.rows[0]["conversations"]
    assert [m["role"] for m in conversation] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    assert conversation[0]["content"] == "I want the cheapest bike rental in Oslo on 2025-06-01."
    first_call = conversation[1]["tool_calls"][0]
    assert first_call["id"] == "call_1_0" and first_call["type"] == "function"
    assert first_call["function"]["name"] == "search_rentals"
    # the optional argument the model left null is not part of the call
    assert json.loads(first_call["function"]["arguments"]) == {"city": "Oslo", "date": "2025-06-01"}
    assert conversation[2] == {
        "role": "tool",
        "tool_call_id": "call_1_0",
        "content": '{"offers": ["r1", "r2"], "count": 2}',
    }
    assert (
        conversation[3]["content"] is None and conversation[3]["tool_calls"][0]["id"] == "call_2_0"
    )
    assert conversation[5] == {"role": "assistant", "content": "Rental r2 is cheapest, at 14.5."}
    by_name = {t["function"]["name"]: t["function"]["parameters"] for t in tools()}
    for message in conversation:
        for call in message.get("tool_calls") or []:
            arguments = json.loads(call["function"]["arguments"])
            assert schema_errors(arguments, by_name[call["function"]["name"]]) is None
    assistant_requests = [(m, s) for m, s in serving.requests if is_assistant_turn(s)]
    assert len(assistant_requests) == 3
    messages, schema = assistant_requests[0]
    assert messages[0]["role"] == "system" and "search_rentals" in messages[0]["content"]
    calling, final = schema["anyOf"]
    assert calling["properties"]["tool_calls"]["minItems"] == 1
    assert final["properties"]["tool_calls"]["maxItems"] == 0
    items = calling["properties"]["tool_calls"]["items"]["anyOf"]
    names = [c["properties"]["name"]["const"] for c in items]
    assert names == ["search_rentals", "pick_cheapest"]


def test_the_last_turn_admits_no_calls_and_a_model_that_keeps_calling_fails():
    schema = assistant_turn_schema(tools(), 0)
    assert schema["properties"]["tool_calls"]["maxItems"] == 0

    def stubborn(prompt: str) -> str:
        if prompt.startswith(("I want", "Tool results:")):
            call = {
                "name": "search_rentals",
                "arguments": {"city": "Oslo", "date": "d", "max_price": 3},
            }
            return json.dumps({"content": "again", "tool_calls": [call]})
        return answer(prompt)

    serving = ScriptedServing(stubborn)
    out = converse(serving, {**TASK_ROW, "functions": tools()}, max_turns=2)
    assert out.failed[0][2] == "no final answer after 2 assistant turns"
    turns = [s for _, s in serving.requests if is_assistant_turn(s)]
    assert "anyOf" in turns[0] and turns[-1]["properties"]["tool_calls"]["maxItems"] == 0


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (
            {"name": "book_hotel", "arguments": {}},
            "assistant turn 1, call 1: unknown function 'book_hotel'",
        ),
        (
            {"name": "search_rentals", "arguments": {"city": "Oslo"}},
            "assistant turn 1, call 1 (search_rentals): arguments do not fit the function's "
            "schema at (top): 'date' is a required property",
        ),
        (
            {"name": "search_rentals", "arguments": {"city": 5, "date": "d"}},
            "assistant turn 1, call 1 (search_rentals): arguments do not fit the function's "
            "schema at city: 5 is not of type 'string'",
        ),
    ],
)
def test_invalid_tool_calls_are_dead_letters_with_the_reason(call, reason):
    def model(prompt: str) -> str:
        if prompt.startswith("I want"):
            return json.dumps({"content": "", "tool_calls": [call]})
        return answer(prompt)

    out = converse(ScriptedServing(model), {**TASK_ROW, "functions": tools()})
    assert [r for _, _, r in out.failed] == [reason]


def test_rows_without_usable_functions_fail():
    out = converse(ScriptedServing(answer), {**TASK_ROW, "functions": "not a list"})
    assert out.failed[0][2] == "field 'functions': no function definitions"


def test_judge_scores_conversations():
    serving = ScriptedServing(answer)
    rows = [{"conversations": [{"role": "user", "content": "hi"}]}, {"conversations": []}]
    out = apply(FuncCallConversationSampleEvaluator(serving), rows)
    assert out.batch.rows[0]["score"] == 4
    assert out.failed[0][2] == "empty or missing field 'conversations'"
    too_high = ScriptedServing(lambda p: json.dumps({"score": 9, "explanation": "x"}))
    out = apply(FuncCallConversationSampleEvaluator(too_high), rows[:1])
    assert "does not fit the schema" in out.failed[0][2]
