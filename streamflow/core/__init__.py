"""DataFlow's ``dataflow.core`` names, for DataFlow code that types against them: its base
classes are ours under DataFlow's names (``streamflow migrate`` rewrites to the direct paths).

``prompt_restrict(*templates)`` is DataFlow's class decorator for a custom operator's allowed
prompt templates. Here it sets the class's ``ALLOWED_PROMPTS``, which every operator already
checks: a ``prompt_template`` given to the constructor that is neither one of them nor a
:class:`DIYPromptABC` subclass is a :class:`~streamflow.errors.PromptTemplateError` naming the
operator (DataFlow raises ``TypeError``; ours is a subclass of neither, so say why you catch it).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from streamflow.actors.base import Operator as OperatorABC
from streamflow.prompts.base import DIYPromptABC, PromptABC
from streamflow.serving.base import LLMServing as LLMServingABC

__all__ = ["DIYPromptABC", "LLMServingABC", "OperatorABC", "PromptABC", "prompt_restrict"]

_Op = TypeVar("_Op", bound=type[OperatorABC])


def prompt_restrict(*templates: type[PromptABC]) -> Callable[[_Op], _Op]:
    """Allow only ``templates`` (or a DIY template) as the operator's ``prompt_template``."""

    def restrict(cls: _Op) -> _Op:
        cls.ALLOWED_PROMPTS = tuple(templates)
        init = cls.__init__
        signature = inspect.signature(init)

        @functools.wraps(init)
        def checked_init(self: OperatorABC, *args: Any, **kwargs: Any) -> None:
            try:
                given = signature.bind_partial(self, *args, **kwargs).arguments
            except TypeError:
                given = {}  # the constructor itself reports a wrong call
            self.check_prompt_template(given.get("prompt_template"))
            init(self, *args, **kwargs)

        cls.__init__ = checked_init  # type: ignore[assignment]
        return cls

    return restrict
