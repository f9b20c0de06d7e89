"""Scripted models for the instruction and conversation operators and pipelines.

Each answers by the kind of request, deterministically, as a well-behaved model would; tests of
operators and of whole pipelines share them.
"""

from __future__ import annotations

import json
import zlib

from streamflow.serving.base import Completion, Usage
from streamflow.testing import ScriptedServing

FUNCTIONS = {
    "functions": [
        {
            "name": "search_rentals",
            "description": "Find bike rentals in a city on a date.",
            "parameters": [
                {"name": "city", "type": "string", "description": "City name", "required": True},
                {"name": "date", "type": "string", "description": "ISO date", "required": True},
                {
                    "name": "max_price",
                    "type": "number",
                    "description": "Price cap",
                    "required": False,
                },
            ],
        },
        {
            "name": "pick_cheapest",
            "description": "Pick the cheapest offer from a list.",
            "parameters": [
                {"name": "offers", "type": "array", "description": "Offer ids", "required": True}
            ],
        },
    ]
}


def button_model(prompt: str) -> str:
    """What a well-behaved model would say to each of the operators' requests."""
    if prompt.startswith("Read this conversation"):
        return '"Booking a flight."\nextra line'
    if prompt.startswith("Invent a new everyday scenario"):
        return "Renting a bicycle"
    if "Write one basic task" in prompt:
        return "Find bike rentals in Oslo on 2025-06-01."
    if "adding a subsequent task" in prompt:
        return json.dumps(
            {
                "subsequent_task": "Which rental is cheapest?",
                "composition_task": "Find the cheapest bike rental in Oslo on 2025-06-01.",
            }
        )
    if "in two steps" in prompt:
        return json.dumps(
            {
                "parallel_task": "Get the weather in Oslo on 2025-06-01.",
                "subsequent_task": "Is it a good day to ride?",
                "composition_task": "Tell me if I should rent a bike in Oslo on 2025-06-01.",
            }
        )
    if prompt.startswith("You are an expert in breaking tasks down"):
        verdict = "no" if "UNDOABLE" in prompt else "yes"
        return json.dumps({"analysis": "The steps cover the task.", "answer": verdict})
    if "Design the functions" in prompt:
        return json.dumps(FUNCTIONS)
    if prompt.startswith("You play a user"):
        message = "<human>I want the cheapest bike rental in Oslo on 2025-06-01.</human>"
        return json.dumps({"message": message})
    if prompt.startswith("You simulate a computer system"):
        if '"search_rentals"' in prompt.split('"call"', 1)[1]:
            return json.dumps({"offers": ["r1", "r2"], "count": 2})
        return json.dumps({"cheapest": "r2", "price": 14.5})
    if prompt.startswith("You strictly evaluate"):
        return json.dumps({"score": 4, "explanation": "Sensible calls in order."})
    # the assistant: the last message is the user's opening or the tool results
    if prompt.startswith("I want"):
        call = {
            "name": "search_rentals",
            "arguments": {"city": "Oslo", "date": "2025-06-01", "max_price": None},
        }
        return json.dumps({"content": "First I search.", "tool_calls": [call]})
    if prompt.startswith("Tool results:") and "search_rentals" in prompt:
        call = {"name": "pick_cheapest", "arguments": {"offers": ["r1", "r2"]}}
        return json.dumps({"content": "", "tool_calls": [call]})
    if prompt.startswith("Tool results:"):
        return json.dumps({"content": "Rental r2 is cheapest, at 14.5.", "tool_calls": []})
    raise AssertionError(f"unexpected request: {prompt[:80]!r}")


def condor_model(prompt: str) -> str:
    """Condor questions and answers, critique and rewrite, and an AlpaGasus judge whose score
    depends on the question (so the filter keeps some rows and drops others)."""
    if prompt.startswith("We are writing"):
        theme = prompt.split("\u201c", 1)[1].split("\u201d", 1)[0]
        return json.dumps(
            {
                "easy": f"What is {theme}?",
                "medium": f"How does {theme} work?",
                "hard": f"Why does {theme} matter?",
            }
        )
    if prompt.startswith("Answer the following question"):
        return "An answer to " + prompt.rsplit("Question: ", 1)[1]
    if prompt.startswith("Review the answer"):
        return "[Strength Start]clear[Strength End][Weakness Start]short[Weakness End]"
    if prompt.startswith("Improve the model"):
        question = prompt.split("[Question Start]", 1)[1].split("[Question End]", 1)[0]
        return f"[Improved Answer Start]A better answer to {question}[Improved Answer End]"
    if prompt.startswith("Rate the"):
        raise AssertionError("the judge's question is in the system message")
    raise AssertionError(f"unexpected request: {prompt[:80]!r}")


def judge_score(system: str) -> int:
    return zlib.crc32(system.encode()) % 6  # 0..5, the same for the same pair


def chat_model(prompt: str) -> str:
    if prompt.startswith("Write the user's side"):
        topic = prompt.split("core topic: ", 1)[1].split(".\n", 1)[0]
        turns = int(prompt.split("conversation with an AI assistant: ", 1)[1].split(" ", 1)[0])
        return json.dumps(
            {"category": topic, "turns": [f"Question {k + 1} on {topic}" for k in range(turns)]}
        )
    asked = [line.split(". ", 1)[1] for line in prompt.splitlines() if line[:1].isdigit()]
    return json.dumps({"responses": [f"Answer to {q}" for q in asked]})


class CondorScripted(ScriptedServing):
    """condor_model for the generator and refiner; the judge scores the pair in its system
    message."""

    def __init__(self, **kw):
        super().__init__(condor_model, **kw)

    async def _complete(self, messages, json_schema, params):
        if str(messages[-1]["content"]).startswith("Rate the"):
            self.requests.append((messages, json_schema))
            score = judge_score(str(messages[0]["content"]))
            text = json.dumps({"score": score, "explanation": "scripted"})
            return Completion([text], Usage(3, 2))
        return await super()._complete(messages, json_schema, params)
