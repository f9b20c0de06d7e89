"""DataFlow's core_vision domain: an image and a prompt to a vision-language model."""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "PromptedVQAGenerator": "prompted_vqa_generator",
    },
)
