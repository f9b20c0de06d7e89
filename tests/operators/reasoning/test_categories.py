"""Reading a classifier's answer into DataFlow's math taxonomy."""

from __future__ import annotations

import pytest

from streamflow.operators.reasoning.categories import MATH_CATEGORIES, normalize_category


@pytest.mark.parametrize(
    ("primary", "secondary", "expected"),
    [
        ("Arithmetic", "Word Problems and Real-Life Applications",
         ("Arithmetic", "Word Problems and Real-Life Applications")),
        ("7", "7.2", ("Arithmetic", "Word Problems and Real-Life Applications")),
        ("anything", "2.4", ("Algebra and Number Theory", "Number Theory")),
        ("2.", "number theory", ("Algebra and Number Theory", "Number Theory")),
        ("algebra & number theory", "Number theory!",
         ("Algebra and Number Theory", "Number Theory")),
        ("Geometry and Topolgy", "Euclidean geometry",
         ("Geometry and Topology", "Euclidean, Analytic, and Convex/Discrete Geometry")),
        ("Arithmetic", "knitting", ("Arithmetic", "")),
        ("Cooking", "Baking", None),
        ("", "", None),
        ("9", "9.1", None),
    ],
)  # fmt: skip
def test_normalize_category(primary, secondary, expected) -> None:
    assert normalize_category(primary, secondary) == expected


def test_taxonomy_shape() -> None:
    assert len(MATH_CATEGORIES) == 7
    assert sum(len(s) for s in MATH_CATEGORIES.values()) == 28
