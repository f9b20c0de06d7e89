"""Compatibility only: streamflow 0.1's import path, kept so that existing code keeps working.

The LLM core operators now live in :mod:`streamflow.operators.core_text`, and what LLM
operators share in :mod:`streamflow.operators.llm`.
"""

from __future__ import annotations

from streamflow.operators.core_text.chunked_prompted_generator import ChunkedPromptedGenerator
from streamflow.operators.core_text.format_str_prompted_generator import FormatStrPromptedGenerator
from streamflow.operators.core_text.json_prompted_generator import JsonPromptedGenerator
from streamflow.operators.core_text.prompted_evaluator import PromptedEvaluator
from streamflow.operators.core_text.prompted_filter import PromptedFilter
from streamflow.operators.core_text.prompted_generator import PromptedGenerator
from streamflow.operators.core_text.prompted_refiner import PromptedRefiner
from streamflow.operators.llm import (
    DEFAULT_JUDGE_PROMPT,
    DEFAULT_SYSTEM_PROMPT,
    LLMOperator,
    ask_each,
    default_serving,
    has_content,
    no_score,
    parse_json_object,
    parse_score,
    prompts_for,
    split_by_tokens,
    with_answer,
)

__all__ = [
    "DEFAULT_JUDGE_PROMPT",
    "DEFAULT_SYSTEM_PROMPT",
    "ChunkedPromptedGenerator",
    "FormatStrPromptedGenerator",
    "JsonPromptedGenerator",
    "LLMOperator",
    "PromptedEvaluator",
    "PromptedFilter",
    "PromptedGenerator",
    "PromptedRefiner",
    "ask_each",
    "default_serving",
    "has_content",
    "parse_json_object",
    "parse_score",
    "split_by_tokens",
]

# Private names that code written against 0.1 may use.
_LLMOperator = LLMOperator
_no_score = no_score
_prompts = prompts_for
_with = with_answer
