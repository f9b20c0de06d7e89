"""DataFlow's ``OPERATOR_REGISTRY``: registration keeps the class, with or without parentheses."""

from __future__ import annotations

import pytest

from streamflow.utils.registry import Registry


def test_register_hands_the_class_back_and_finds_it_by_name() -> None:
    registry = Registry("OPERATOR_REGISTRY")

    @registry.register()
    class First:
        pass

    @registry.register
    class Second:
        pass

    assert First.__name__ == "First" and Second.__name__ == "Second"
    assert registry.get("First") is First and registry.get("Second") is Second
    with pytest.raises(KeyError, match="'Third' is not registered in OPERATOR_REGISTRY"):
        registry.get("Third")
