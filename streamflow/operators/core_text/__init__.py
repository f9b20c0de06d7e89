"""DataFlow's core_text domain: the general-purpose operators every pipeline builds on.

The LLM operators driven by a prompt (PromptedGenerator, PromptedRefiner, PromptedEvaluator,
PromptedFilter, FormatStrPromptedGenerator, ChunkedPromptedGenerator, and streamflow's
JsonPromptedGenerator, which fills several fields from one schema-constrained answer), and the
row housekeeping of streamflow's FieldRemover (DataFlow's generic row operators, such as
PandasOperator, live here too). Each name is imported on first use.
"""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "ChunkedPromptedGenerator": "chunked_prompted_generator",
        "FieldRemover": "field_remover",
        "FormatStrPromptedGenerator": "format_str_prompted_generator",
        "JsonPromptedGenerator": "json_prompted_generator",
        "PromptedEvaluator": "prompted_evaluator",
        "PromptedFilter": "prompted_filter",
        "PromptedGenerator": "prompted_generator",
        "PromptedRefiner": "prompted_refiner",
    },
    prompts={
        "DIYPromptABC": "prompts",
        "FormatStrPrompt": "prompts",
    },
)
