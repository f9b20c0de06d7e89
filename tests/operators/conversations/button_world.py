"""A scripted model for the function-calling operators: answers by the kind of request."""

from __future__ import annotations

import json

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


def answer(prompt: str) -> str:
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
        return "<human>I want the cheapest bike rental in Oslo on 2025-06-01.</human>"
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
