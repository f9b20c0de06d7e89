"""Final-answer extraction and normalisation (pure string work)."""

from __future__ import annotations

import time

import pytest

from streamflow.operators.reasoning.answers import (
    extract_answer,
    extract_boxed,
    extract_raw_answer,
    has_boxed,
    last_number_answer,
    normalize_answer,
    numbers_match,
    numeric_value,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("so the total is $\\boxed{18}$.", "18"),
        ("first \\boxed{3} then \\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
        ("\\boxed{\\frac{\\sqrt{3}}{2}} done", "\\frac{\\sqrt{3}}{2}"),
        ("\\boxed{\\left\\{1, 2\\right\\}}", "{1,2}"),
        ("the value is \\boxed 7$ ok", "7"),
        ("\\fbox{42}", "42"),
        ("Janet makes 9 * 2 = 18 dollars.\n#### 18", "18"),
        ("#### 70,000", "70000"),
        ("Thinking... The answer is 18. She sells the rest.", "18"),
        ("Therefore, the final answer is $\\frac{3}{4}$. I hope it is correct.", "\\frac{3}{4}"),
        ("So the answer is: 25%", "25"),
        ("She has 3 + 5 = 8 apples left after 2 days", "8"),
        ("He spent $1,250.00 in total", "1250"),
        ("It rounds down to 33.333..., which is 33", "33"),
        ("So it took three days.", "3"),
        ("no number here at all", ""),
        ("", ""),
    ],
)
def test_extract_answer(text: str, expected: str) -> None:
    assert extract_answer(text) == expected


def test_boxed_answer_comes_before_other_markers() -> None:
    text = "The answer is 5. Actually, recomputing: \\boxed{6}"
    assert extract_answer(text) == "6"


def test_unclosed_box_gives_what_follows_it() -> None:
    assert extract_boxed("\\boxed{\\frac{1}{2") == "\\frac{1}{2"
    assert extract_boxed("no box") is None


def test_has_boxed_needs_content() -> None:
    assert has_boxed("so \\boxed{4}")
    assert not has_boxed("so \\boxed{ }")
    assert not has_boxed("the answer is 4")
    assert not has_boxed(None)


def test_last_number_fallback_can_be_turned_off() -> None:
    assert extract_raw_answer("she has 8", last_number=False) == ""
    assert extract_answer("she has 8 dollars", last_number=False) == ""


def test_units_are_kept_for_minerva_and_carp() -> None:
    assert extract_answer("\\boxed{5 \\text{ meters}}") == "5"
    assert extract_answer("\\boxed{5 \\text{ meters}}", "minerva_math") == "5meters"


def test_last_number_skips_calculator_annotations_and_closing_phrases() -> None:
    text = "So he makes 60*2=$<<60*2=120>>120 in 2 weeks"
    assert last_number_answer(text) == "120"
    assert last_number_answer("Mr. Tan nets $400 000 - $282 000 = $118 000.") == "118000"
    assert last_number_answer("The multiplier is (1/8)·(2) = 1/4.") == "1/4"


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("\\dfrac{1}{2}", "\\frac{1}{2}"),
        ("\\tfrac12", "\\frac{1}{2}"),
        ("\\frac1{2}", "\\frac{1}{2}"),
        ("3/4", "\\frac{3}{4}"),
        ("\\sqrt2", "\\sqrt{2}"),
        ("$18.00", "18"),
        ("2.50", "2.5"),
        ("90^\\circ", "90"),
        ("x = 5", "5"),
        ("15 dollars", "15"),
        ("\\text{5 cm}", "5"),
        ("12 \\text{ hours}", "12"),
        ("five", "5"),
        ("70,000", "70000"),
        ("(100, 200)", "(100,200)"),
        ("\\left( 1, 2 \\right)", "(1,2)"),
        (".5", "0.5"),
        ("10\\%", "10"),
        ("\\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
        (None, ""),
    ],
)
def test_normalize_answer(raw: object, normal: str) -> None:
    assert normalize_answer(raw) == normal


def test_numeric_value() -> None:
    assert numeric_value("18") == 18
    assert numeric_value("-0.5") == -0.5
    assert numeric_value("\\frac{3}{4}") == 0.75
    assert numeric_value("-\\frac{1}{4}") == -0.25
    assert numeric_value("\\frac{1}{0}") is None
    assert numeric_value("x+1") is None
    assert numeric_value("1e999") is None


def test_numbers_match_tolerance_and_percent() -> None:
    assert numbers_match(0.33333, 1 / 3)
    assert not numbers_match(0.33, 1 / 3)
    assert numbers_match(25, 0.25)
    assert not numbers_match(25, 0.25, percent=False)


def test_extraction_is_fast_on_huge_inputs() -> None:
    """No pattern here backtracks: a 200,000-character answer is still string work."""
    huge = "\\boxed{" + "\\frac{1}{" * 20000 + "2" + "}" * 20000 + "}"
    started = time.process_time()
    extract_answer(huge)
    extract_answer("1 + " * 50000 + " = 3 apples, or so")
    normalize_answer("(" * 50000)
    assert time.process_time() - started < 5  # generous: linear work, not a benchmark
