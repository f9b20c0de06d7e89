"""compile(): the plan's DAG and every mistake reported at once, before any row moves."""

from __future__ import annotations

import pytest
from helpers import write_jsonl

from streamflow import CompileError, CompileWarning, Filter, Generator, Refiner, StreamflowError
from streamflow.plan import SOURCE


class Concat(Generator):
    def process(self, rows, input_a: str, input_b: str, output_key: str = "ab"):
        return [{**r, output_key: r[input_a] + r[input_b]} for r in rows]


class Trim(Refiner):
    def process(self, rows, input_key: str, output_key: str | None = None):
        return rows


class NonEmpty(Filter):
    def process(self, rows, input_key: str):
        return [bool(r[input_key]) for r in rows]


@pytest.fixture
def src(tmp_path):
    return write_jsonl(tmp_path / "in.jsonl", [{"a": "x", "b": "y"}])


def test_plan_dag_follows_key_bindings(chain, src):
    plan = chain(
        [
            (Concat(), {"input_a": "a", "input_b": "b", "output_key": "ab"}),
            (NonEmpty(), {"input_key": "a"}),
            (Concat(), {"input_a": "ab", "input_b": "b", "output_key": "abb"}),
        ],
        entry_file=src,
    ).compile()
    assert [s.label for s in plan.steps] == ["Concat", "NonEmpty", "Concat#2"]
    assert plan.steps[0].reads == ("a", "b") and plan.steps[0].writes == ("ab",)
    assert plan.steps[0].depends_on == (SOURCE,)
    assert plan.steps[1].depends_on == (SOURCE,)  # reads a source field; first row changer
    # Concat#2 reads ab (from step 0) and b (from the source)
    assert plan.steps[2].depends_on == (SOURCE, 0)


class WithHint(Generator):
    optional_inputs = frozenset({"input_hint_key"})

    def process(self, rows, input_key: str, input_hint_key: str = "hint", output_key: str = "o"):
        return [{**r, output_key: r[input_key] + str(r.get(input_hint_key, ""))} for r in rows]


def test_an_optional_input_may_be_missing_but_a_required_one_may_not(chain, src):
    chain([(WithHint(), {"input_key": "a"})], entry_file=src).compile()
    with pytest.raises(CompileError) as refused:
        chain([(WithHint(), {"input_key": "c", "input_hint_key": "h"})], entry_file=src).compile()
    assert refused.value.problems == [
        "step 1 (WithHint): input key 'c' is not produced by the source or an earlier step; "
        "available: a, b (the source's fields are those of the only row of "
        f"{src})"
    ]


def test_every_problem_is_reported_at_once(chain, src):
    steps = [
        (Concat(), {"input_a": "a", "input_b": "missing_field", "output_key": "ab"}),
        (Concat(), {"input_a": "a", "input_b": "b", "output_key": "a"}),  # overwrites source a
        (NonEmpty(), {"input_key": "ab", "bogus_key": "z"}),
        (NonEmpty(), {}),  # input_key required
        (Concat(), {"input_a": "a", "input_b": 3, "output_key": "c"}),
    ]
    with pytest.raises(CompileError) as info:
        chain(steps, entry_file=src).compile()
    problems = info.value.problems
    assert len(problems) == 5, problems
    assert "step 1 (Concat): input key 'missing_field' is not produced" in problems[0]
    assert "available: a, b" in problems[0]
    assert (
        "step 2 (Concat#2): output key 'a' would overwrite the field from the source" in problems[1]
    )
    assert "unknown key bogus_key" in problems[2]
    assert "step 4 (NonEmpty#2): NonEmpty needs input_key" in problems[3]
    assert "input_b must be a field name" in problems[4]
    assert str(info.value).startswith("pipeline does not compile (5 problems)")


def test_overwrite_allowed_when_asked(chain, src):
    plan = chain(
        [(Concat(), {"input_a": "a", "input_b": "b", "output_key": "a", "overwrite": True})],
        entry_file=src,
    ).compile()
    assert "overwrite" not in plan.steps[0].keys


def test_refiner_writing_another_existing_field_warns(chain, src):
    with pytest.warns(CompileWarning, match="writes 'b', overwriting the field from the source"):
        chain([(Trim(), {"input_key": "a", "output_key": "b"})], entry_file=src).compile()


def test_refiner_overwriting_on_purpose_is_silent(chain, src, recwarn):
    step = {"input_key": "a", "output_key": "b", "overwrite": True}
    chain([(Trim(), step)], entry_file=src).compile()
    assert not [w for w in recwarn if issubclass(w.category, CompileWarning)]


def test_refiner_rewriting_its_input_is_silent(chain, src, recwarn):
    chain([(Trim(), {"input_key": "a"})], entry_file=src).compile()
    assert not [w for w in recwarn if issubclass(w.category, CompileWarning)]


def test_later_step_sees_earlier_outputs(chain, src):
    plan = chain(
        [
            (Concat(), {"input_a": "a", "input_b": "b", "output_key": "ab"}),
            (NonEmpty(), {"input_key": "ab"}),
        ],
        entry_file=src,
    ).compile()
    assert plan.steps[1].depends_on == (0,)


def test_source_fields_come_from_a_sample_of_rows(chain, tmp_path):
    rows = [{"a": "x"}] + [{"a": "x", "b": f"y{i}"} for i in range(20)]
    src = write_jsonl(tmp_path / "opt.jsonl", rows)
    plan = chain([(Concat(), {"input_a": "a", "input_b": "b"})], entry_file=src).compile()
    assert plan.source_fields == ("a", "b")


def test_a_field_in_no_sampled_row_names_the_rows_read(chain, tmp_path):
    src = write_jsonl(tmp_path / "few.jsonl", [{"a": "x"}, {"a": "y", "c": 1}, {"a": "z"}])
    with pytest.raises(CompileError) as caught:
        chain([(NonEmpty(), {"input_key": "b"})], entry_file=src).compile()
    message = str(caught.value)
    assert "input key 'b' is not produced by the source" in message
    assert f"available: a, c (the source's fields are those of all 3 rows of {src})" in message


def test_unknown_source_fields_skip_the_source_check(chain):
    plan = chain([(NonEmpty(), {"input_key": "anything"})]).compile()
    assert plan.source_fields is None


def test_empty_forward_is_an_error(chain, src):
    with pytest.raises(CompileError, match="forward\\(\\) ran no operator"):
        chain([], entry_file=src).compile()


async def test_run_outside_forward_in_async_code_is_explained(src):
    from streamflow import FileStorage

    with pytest.raises(StreamflowError, match=r"outside Pipeline\.forward\(\) in async code"):
        NonEmpty().run(FileStorage(src).step(), input_key="a")


def test_calling_forward_runs_the_pipeline_as_in_dataflow(chain, src, tmp_path):
    out = tmp_path / "out.jsonl"
    result = chain(
        [(Concat(), {"input_a": "a", "input_b": "b", "output_key": "ab"})],
        entry_file=src,
        output_file=out,
    ).forward()
    assert result.rows_written == 1
    assert out.read_text().strip() == '{"a":"x","b":"y","ab":"xy"}'
