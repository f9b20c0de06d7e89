"""Prompt templates: the text an LLM operator sends, built from one row's fields.

An operator lists the template classes it accepts in ``ALLOWED_PROMPTS`` and rejects others at
construction and in ``compile()``. A user's own template is accepted by every operator when it
subclasses :class:`DIYPromptABC`, as in DataFlow. Domain templates live beside their operators.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from streamflow.errors import StreamflowError


class PromptFieldError(StreamflowError, KeyError):
    """A template was asked to build a prompt without a field it needs (or with one it lacks)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "missing prompt field"


def as_text(value: Any) -> str:
    """A field's value as prompt text: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _checked(build: Callable[..., str]) -> Callable[..., str]:
    """Wrap a subclass's ``build_prompt`` so a bad call names the template and the field."""
    signature = inspect.signature(build)

    @functools.wraps(build)
    def build_prompt(self: PromptTemplate, *args: Any, **fields: Any) -> str:
        try:
            signature.bind(self, *args, **fields)
        except TypeError as exc:
            given = ", ".join(fields) or "none"
            raise PromptFieldError(
                f"prompt template {type(self).__name__}: {exc}; given: {given}"
            ) from None
        return build(self, *args, **fields)

    return build_prompt


class PromptTemplate:
    """Base of every template: ``build_prompt(**fields) -> str``.

    A subclass writes ``build_prompt`` with the fields it needs as parameters; the base checks
    every call, so a missing field names the template and the field instead of a bare
    ``TypeError``. :attr:`fields` lists the required fields, which lets an operator check its
    key bindings at ``compile()`` time, before any row moves.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build_prompt")
        if build is not None:
            cls.build_prompt = _checked(build)

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields ``build_prompt`` needs: its parameters without defaults."""
        params = list(inspect.signature(self.build_prompt).parameters.values())
        return tuple(
            p.name
            for p in params
            if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )

    if TYPE_CHECKING:
        # Subclasses name the fields they need (``build_prompt(self, question: str)``): typed
        # loosely here so that such a signature is a valid override.
        build_prompt: Callable[..., str]
    else:

        def build_prompt(self, **fields: Any) -> str:
            raise NotImplementedError(f"{type(self).__name__} must define build_prompt(**fields)")


PromptABC = PromptTemplate
"""DataFlow's name for the template base."""


class DIYPromptABC(PromptTemplate):
    """Marks a user's own template: every operator accepts it, whatever its ``ALLOWED_PROMPTS``."""

    diy: ClassVar[bool] = True


_FIELD = re.compile(r"\{([A-Za-z_]\w*)\}")


class FormatStrPrompt(PromptTemplate):
    """A template string whose ``{name}`` placeholders are filled from a row's fields.

    Only ``{identifier}`` is a placeholder; every other brace is literal, so JSON examples in a
    template need no escaping (DataFlow's templates are written that way). The fields are the
    placeholders, in order of appearance. ``on_missing="empty"`` fills a missing field with an
    empty string instead of raising. Values that are not strings are written as JSON.
    """

    def __init__(
        self, f_str_template: str = "{input_text}", on_missing: Literal["raise", "empty"] = "raise"
    ) -> None:
        if on_missing not in ("raise", "empty"):
            raise ValueError("on_missing must be 'raise' or 'empty'")
        self.f_str_template = f_str_template
        self.on_missing = on_missing
        self._fields = tuple(dict.fromkeys(_FIELD.findall(f_str_template)))

    @property
    def fields(self) -> tuple[str, ...]:
        return self._fields if self.on_missing == "raise" else ()

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Every placeholder of the template, required or not."""
        return self._fields

    def build_prompt(self, **fields: Any) -> str:
        missing = [f for f in self.fields if f not in fields]
        if missing:
            raise PromptFieldError(
                f"prompt template {type(self).__name__} needs field {missing[0]!r}; "
                f"given: {', '.join(fields) or 'none'}"
            )

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return as_text(fields[name]) if name in fields else ""

        return _FIELD.sub(fill, self.f_str_template)

    def __repr__(self) -> str:
        return f"FormatStrPrompt({self.f_str_template!r}, on_missing={self.on_missing!r})"
