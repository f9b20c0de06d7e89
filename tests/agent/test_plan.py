from __future__ import annotations

from streamflow.agent.plan import Step, check_plan, field_types


def test_field_types_from_the_sample():
    types = field_types(
        [{"text": "a long text", "n": 3, "ok": True, "tags": [], "x": None}, {"x": "s"}]
    )
    assert types == {"n": "number", "ok": "bool", "tags": "list", "x": "str", "text": "str"}
    assert list(types)[-1] == "text"  # the longest text last: what a generic input reads


def test_a_generic_input_binds_to_the_text_field(cards):
    check = check_plan(
        [Step("collapse spaces", "RemoveExtraSpacesRefiner")],
        cards,
        {"id": "number", "body": "str"},
    )
    assert not check.problems
    assert check.steps[0].bindings == {"input_key": "body"}


def test_a_binding_to_a_missing_field_is_repaired_and_noted(cards):
    step = Step("drop short texts", "WordNumberFilter", requested={"input_key": "content"})
    check = check_plan([step], cards, {"text": "str"})
    assert not check.problems
    assert step.bindings["input_key"] == "text"
    assert any("'content'" in note and "'text'" in note for note in check.notes)


def test_a_specific_key_is_never_bound_to_an_unrelated_field(cards):
    # the correspondence judge reads a SQL query, a question...: plain text is none of them
    check = check_plan([Step("check", "Text2SQLCorrespondenceFilter")], cards, {"text": "str"})
    assert check.problems
    assert any("input_sql_key" in problem for _, problem in check.problems)


def test_numbers_are_not_text(cards):
    check = check_plan(
        [Step("collapse", "RemoveExtraSpacesRefiner")],
        cards,
        {"price": "number", "count": "number"},
    )
    assert [i for i, _ in check.problems] == [0]
    assert "price (number)" in check.problems[0][1]


def test_a_step_reading_a_later_output_is_moved_after_its_producer(cards):
    solve = Step("solve", "ReasoningAnswerGenerator")  # writes generated_cot
    boxed = Step(
        "keep boxed answers",
        "ReasoningAnswerFormatterFilter",
        requested={"input_key": "generated_cot"},
    )
    check = check_plan([boxed, solve], cards, {"question": "str"})
    assert [s.operator for s in check.steps] == [
        "ReasoningAnswerGenerator",
        "ReasoningAnswerFormatterFilter",
    ]
    assert check.steps[1].bindings["input_key"] == "generated_cot"
    assert any("moved after ReasoningAnswerGenerator" in n for n in check.notes)


def test_an_output_that_would_overwrite_a_field_gets_a_fresh_name(cards):
    first = Step("answer", "ReasoningAnswerGenerator")
    second = Step("answer again", "ReasoningAnswerGenerator")
    check_plan([first, second], cards, {"instruction": "str"})
    assert first.bindings["output_key"] == "generated_cot"
    assert second.bindings["output_key"] == "generated_cot_2"


def test_parameters_are_checked_against_the_signature_and_the_request(cards):
    step = Step(
        "drop documents shorter than 25 words",
        "WordNumberFilter",
        params={"min_words": "25", "max_words": 999, "colour": "red"},
    )
    check = check_plan([step], cards, {"text": "str"}, "drop documents shorter than 25 words")
    assert step.params == {"min_words": 25}  # converted; invented number and unknown dropped
    assert any("colour" in n for n in check.notes)
    assert any("999" in n for n in check.notes)


def test_a_required_parameter_without_a_value_is_a_problem(cards):
    check = check_plan([Step("select", "KCenterGreedyFilter")], cards, {"text": "str"})
    assert any("num_samples" in p for _, p in check.problems)


def test_an_unknown_operator_is_a_problem(cards):
    check = check_plan([Step("x", "NoSuchOperator")], cards, {"text": "str"})
    assert check.problems == [(0, "no operator named 'NoSuchOperator'")]
