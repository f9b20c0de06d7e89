"""DataFlow's taxonomy of math questions, and reading a model's answer into it.

A classifier may answer with the names (exact or approximate) or with the numbers of the
taxonomy ("7", "7.2"). :func:`normalize_category` maps either to the canonical names, or says
that the answer is not in the taxonomy. Approximate names are matched with ``difflib`` (DataFlow
uses rapidfuzz's WRatio with a threshold of 50; the cut-off here is similar in effect).
"""

from __future__ import annotations

import difflib
import re

__all__ = ["MATH_CATEGORIES", "normalize_category"]

MATH_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Foundations and Logic": (
        "Mathematical Logic and Set Theory",
        "Basic Theory, Formalization, and History & Education",
    ),
    "Algebra and Number Theory": (
        "Linear Algebra and Group Theory",
        "Ring Theory, Field Theory, and Polynomial Algebra",
        "Commutative Algebra and Homological/Categorical Methods",
        "Number Theory",
        "Algebraic Geometry",
    ),
    "Analysis and Differential Equations": (
        "Real Analysis, Measure Theory, and Functional Analysis",
        "Complex Analysis and Special Functions",
        "Differential Equations and Dynamical Systems",
        "Integral Transforms, Integral Equations, and Difference Equations",
        "Harmonic Analysis",
    ),
    "Geometry and Topology": (
        "Euclidean, Analytic, and Convex/Discrete Geometry",
        "Differential Geometry and Manifold Theory",
        "Topology and Algebraic Topology",
    ),
    "Probability, Statistics, and Discrete Mathematics": (
        "Probability Theory and Stochastic Processes",
        "Mathematical Statistics",
        "Combinatorics and Graph Theory",
    ),
    "Applied and Computational Mathematics": (
        "Numerical Analysis and Computational Methods",
        "Optimal Control, Variational Methods, and Optimization",
        "Operations Research and Game Theory",
        "Systems Theory and Control",
        "Computer Science and Algorithms",
        "Mathematical Physics and Engineering Mathematics",
        "Information and Communication",
        "Biomathematics",
    ),
    "Arithmetic": (
        "Basic Arithmetic and Number Operations",
        "Word Problems and Real-Life Applications",
    ),
}
"""The taxonomy DataFlow classifies math questions into: seven primary categories, each with
its numbered secondary ones (``"7.2"`` is Arithmetic / Word Problems)."""


_CODE = re.compile(r"^\s*(\d+)\s*(?:\.\s*(\d+))?\s*\.?\s*")
MATCH_CUTOFF = 0.5


def normalize_category(primary: object, secondary: object) -> tuple[str, str] | None:
    """The canonical ``(primary, secondary)`` for a classifier's answer, or ``None``.

    A secondary code ``"X.Y"`` decides both; else the primary is read from its code or
    name, and the secondary is matched among that primary's own categories (``""`` where
    nothing matches). ``None`` where the primary is not recognised.
    """
    primaries = list(MATH_CATEGORIES)
    raw_primary, raw_secondary = str(primary or "").strip(), str(secondary or "").strip()
    code = _CODE.match(raw_secondary)
    if code and code.group(2):
        p, s = int(code.group(1)), int(code.group(2))
        if 1 <= p <= len(primaries) and 1 <= s <= len(MATH_CATEGORIES[primaries[p - 1]]):
            name = primaries[p - 1]
            return name, MATH_CATEGORIES[name][s - 1]
    chosen = _by_code(raw_primary, primaries) or _closest(raw_primary, primaries)
    if chosen is None:
        return None
    secondaries = list(MATH_CATEGORIES[chosen])
    sub = _closest(_CODE.sub("", raw_secondary) or raw_secondary, secondaries)
    return chosen, sub or ""


def _by_code(text: str, names: list[str]) -> str | None:
    code = _CODE.match(text)
    if code and not code.group(2) and not text[code.end() :].strip():
        index = int(code.group(1))
        return names[index - 1] if 1 <= index <= len(names) else None
    return None


def _closest(text: str, names: list[str]) -> str | None:
    """The name ``text`` is, contains, or most resembles (case and punctuation ignored)."""
    key = _plain(_CODE.sub("", text) or text)
    if not key:
        return None
    plain = {_plain(n): n for n in names}
    if key in plain:
        return plain[key]
    for simple, name in plain.items():
        if len(key) >= 4 and (key in simple or simple in key):
            return name
    found = difflib.get_close_matches(key, list(plain), n=1, cutoff=MATCH_CUTOFF)
    return plain[found[0]] if found else None


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())
