"""The agent's graph end to end with a scripted model: every node, the repair loop, refusals."""

from __future__ import annotations

import ast
import json
import re
import shutil
from collections.abc import Callable

import anyio
import pytest

from streamflow.agent import AgentOptions, PipelineAgent, split_request
from streamflow.agent.graph import NONE, retrieval_gaps
from streamflow.agent.retrieve import Candidate
from streamflow.testing import ScriptedServing

needs_sandbox = pytest.mark.skipif(shutil.which("bwrap") is None, reason="no bubblewrap")

TEXTS = [
    {"text": "The  river path   runs eleven kilometres from the old mill to the harbour."},
    {"text": "Our   library card works at every branch."},
]


def scripted(
    *,
    steps: list[str] | None = None,
    feasible: bool = True,
    reason: str = "",
    choose: Callable[[str, list[str]], str] = lambda step, options: options[0],
    confirm: Callable[[str, str], str] = lambda step, operator: "no",
    repair: dict[str, str] | None = None,
    gap: dict[str, str] | None = None,
    judge: str = "4 - fine",
    params: dict[str, object] | None = None,
) -> ScriptedServing:
    """A model that answers the agent's questions (recognised by their wording) by script, and
    the pipeline's own LLM steps with ``judge``. Asked whether retrieval's top hit does a step
    (only when its choice was another), it says ``confirm(step, operator)``: no by default."""

    def answer(prompt: str) -> str:
        if "Split the request" in prompt:
            return json.dumps({"feasible": feasible, "reason": reason, "steps": steps or []})
        if "Which operator does this step?" in prompt:
            step = re.search(r"\nStep: (.*)\n", prompt).group(1)
            options = re.findall(r"^- (\w+)\(", prompt, flags=re.M)
            return json.dumps({"operator": choose(step, options)})
        if "Does this operator do this step?" in prompt:
            step = re.search(r"\nStep: (.*)\n", prompt).group(1)
            operator = re.search(r"\nOperator: (\w+)\(", prompt).group(1)
            return json.dumps({"answer": confirm(step, operator)})
        if "parameter values" in prompt:
            return json.dumps(params or {})
        if "Its trial run failed" in prompt:
            return json.dumps(repair or {"action": "remove", "operator": NONE})
        if "No operator of the library does this step" in prompt:
            return json.dumps(
                gap
                or {"kind": "generate", "instruction": "Answer briefly.", "output_field": "answer"}
            )
        return judge

    return ScriptedServing(answer)


def agent(serving: ScriptedServing, cards, retriever, **options) -> PipelineAgent:
    options.setdefault("trial_timeout", 120)
    return PipelineAgent(
        serving, AgentOptions(retrieval="bm25", **options), cards=cards, retriever=retriever
    )


def test_split_request_by_rule():
    goal, steps = split_request(
        "Clean these texts: turn HTML entities back into characters, remove links, and drop "
        "documents shorter than 20 words."
    )
    assert goal == "Clean these texts"
    assert steps == [
        "turn HTML entities back into characters",
        "remove links",
        "drop documents shorter than 20 words",
    ]
    goal, steps = split_request(
        "Starting from these problems, solve each one and keep only boxed answers."
    )
    assert goal == "Starting from these problems"
    assert steps == ["solve each one", "keep only boxed answers"]


@needs_sandbox
async def test_a_scripted_plan_becomes_a_file_that_compiles_and_runs(cards, bm25_retriever):
    picks = {
        "Collapse runs of spaces": "RemoveExtraSpacesRefiner",
        "drop texts with fewer than 12 words": "WordNumberFilter",
    }
    serving = scripted(choose=lambda step, options: picks[step], params={"min_words": 12})
    report = await agent(serving, cards, bm25_retriever).run(
        "Collapse runs of spaces, then drop texts with fewer than 12 words.", TEXTS
    )
    assert report.ok, report.text()
    assert [s.operator for s in report.steps] == ["RemoveExtraSpacesRefiner", "WordNumberFilter"]
    assert report.compiled and report.ran and report.rounds == 0
    assert report.rows_out == 1  # the 7-word text is dropped
    assert report.sample_output[0]["text"].startswith("The river path runs")
    tree = ast.parse(report.source)
    assert "WordNumberFilter(min_words=12)" in report.source
    assert "input_key='text'" in report.source
    assert any(isinstance(n, ast.ClassDef) and n.name == "AgentPipeline" for n in tree.body)
    assert report.cost["calls"] == len(serving.requests) >= 3
    assert all(schema is not None for _, schema in serving.requests)  # JSON answers only


@needs_sandbox
async def test_a_failed_trial_goes_back_to_the_model_and_rounds_count_once(cards, bm25_retriever):
    # the judge answers without a score: the prompted filter fails every row, the model is
    # told and removes that step, the next trial passes
    serving = scripted(
        choose=lambda step, options: "RemoveExtraSpacesRefiner" if "spaces" in step else NONE,
        gap={"kind": "filter", "instruction": "Is it polite?", "output_field": "polite"},
        judge="I cannot say.",
    )
    report = await agent(serving, cards, bm25_retriever, max_rounds=2).run(
        "Collapse runs of spaces, then keep only texts that sound polite.", TEXTS
    )
    assert report.ok, report.text()
    assert report.rounds == 1
    repair_prompts = [p for p in serving.prompts if "Its trial run failed" in p]
    assert len(repair_prompts) == 1
    assert "PromptedFilter" in repair_prompts[0] and "no score" in repair_prompts[0]
    assert [s.operator for s in report.steps] == ["RemoveExtraSpacesRefiner"]
    assert any("round 1: removed step PromptedFilter" in r for r in report.repairs)


@needs_sandbox
async def test_repair_rounds_are_bounded(cards, bm25_retriever):
    serving = scripted(
        choose=lambda step, options: NONE,
        gap={"kind": "filter", "instruction": "Is it polite?", "output_field": "polite"},
        repair={"action": "replace", "operator": NONE},
        judge="no idea",
    )
    report = await agent(serving, cards, bm25_retriever, max_rounds=2).run(
        "Keep only texts that sound polite.", TEXTS
    )
    assert not report.ok and report.rounds == 2
    assert sum("Its trial run failed" in p for p in serving.prompts) == 2
    assert report.unsatisfied and report.source is not None


async def test_data_without_the_fields_the_operators_need_is_refused(cards, bm25_retriever):
    serving = scripted()
    report = await agent(serving, cards, bm25_retriever).run(
        "Collapse runs of spaces in the texts.", [{"price": 3.5, "count": 2}]
    )
    assert report.refused and not report.ok
    assert report.source is None
    assert "price (number)" in report.reason
    assert report.trial_stage == ""  # nothing was run


async def test_an_impossible_request_is_refused_with_the_reason(cards, bm25_retriever):
    serving = scripted(
        feasible=False,
        reason="it needs live access to a social network",
        choose=lambda step, options: NONE,
    )
    report = await agent(serving, cards, bm25_retriever).run(
        "Download today's posts about our brand from the social network.", []
    )
    assert report.refused and report.source is None
    assert report.reason == "it needs live access to a social network"
    assert report.trial_stage == ""  # nothing was assembled or run


async def test_a_doubt_the_plan_does_not_share_is_no_refusal(cards, bm25_retriever):
    # a small model may call anything infeasible; an operator that fits a step outweighs it
    serving = scripted(feasible=False, reason="no pipeline can do what is asked")
    report = await agent(serving, cards, bm25_retriever).run("Collapse runs of spaces.", TEXTS)
    assert not report.refused
    assert report.steps[0].operator == "RemoveExtraSpacesRefiner"


@needs_sandbox
async def test_hostile_model_answers_stay_data_in_the_file_and_the_sandbox(
    cards, bm25_retriever, tmp_path
):
    marker = tmp_path / "pwned"
    payload = (
        f'"""\nimport os; open({str(marker)!r}, "w").write("x")\n"""'
        + f"'''\nopen({str(marker)!r}, 'w')\n'''"
    )
    serving = scripted(
        choose=lambda step, options: NONE,
        gap={"kind": "generate", "instruction": payload, "output_field": "answer"},
        judge=payload,
    )
    report = await agent(serving, cards, bm25_retriever).run(
        f"Write a short answer for each text. {payload}", TEXTS
    )
    assert report.source is not None
    tree = ast.parse(report.source)
    # the payload is a string constant: the module itself calls nothing but what we write
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call)]
    names = {getattr(f, "id", getattr(f, "attr", "")) for f in calls}
    assert "open" not in names and "write" not in names
    assert not marker.exists()
    assert report.ok, report.text()
    assert report.sample_output[0]["answer"] == payload


class SlowForThePipeline(ScriptedServing):
    """Answers the agent at once and the pipeline's own step after a long wait."""

    async def _complete(self, messages, json_schema, params):
        if "Answer briefly." in str(messages[-1]["content"]):
            await anyio.sleep(60)
        return await super()._complete(messages, json_schema, params)


@needs_sandbox
async def test_a_trial_out_of_time_is_reported_not_repaired(cards, bm25_retriever):
    serving = SlowForThePipeline(scripted(choose=lambda step, options: NONE).answer)
    report = await agent(serving, cards, bm25_retriever, trial_timeout=6, max_rounds=2).run(
        "Write a short answer for each text.", TEXTS
    )
    assert not report.ok and report.compiled
    assert report.rounds == 0 and report.trial_stage == "sandbox"
    assert any("wall-clock" in u for u in report.unsatisfied)


# -- the operator choice: retrieval is the prior, the model must earn an override -------------

RANKING = [  # (name, score): a top hit, a near tie, two clearly lower, then far ones
    ("RemoveExtraSpacesRefiner", 10.0),
    ("RemovePunctuationRefiner", 9.5),
    ("RemoveEmojiRefiner", 7.0),
    ("HtmlUrlRemoverRefiner", 6.0),
    ("RemoveEmoticonsRefiner", 2.0),
    ("LowercaseRefiner", 1.0),
    ("RemoveStopwordsRefiner", 0.0),
]


class FixedRetriever:
    """A retriever whose ranking is given: the choice rule tested apart from the index."""

    def __init__(self, ranking: list[tuple[str, float]]) -> None:
        self.ranking = [Candidate(name, score) for name, score in ranking]

    async def search(self, query: str, k: int = 10) -> list[Candidate]:
        return self.ranking[:k]


async def planned(serving: ScriptedServing, cards, ranking=RANKING) -> tuple[list[str], list[str]]:
    """The operators the plan node chose for a one-step request, and its notes."""
    a = PipelineAgent(serving, AgentOptions(), cards=cards, retriever=FixedRetriever(ranking))
    state = {"request": "Tidy the texts.", "sample": TEXTS, "notes": [], "unsatisfied": []}
    state |= await a.understand(state)
    state |= await a.retrieve(state)
    state |= await a.plan(state)
    return [s.operator for s in state["steps"]], state["notes"]


def choice_questions(serving: ScriptedServing) -> list[list[str]]:
    """The options of every operator question, in the order the model saw them."""
    return [
        re.findall(r"^- (\w+)\(", p, flags=re.M)
        for p in serving.prompts
        if "Which operator does this step?" in p
    ]


def test_retrieval_gaps_are_shares_of_the_spread():
    gaps = retrieval_gaps([Candidate(n, s) for n, s in RANKING])
    assert gaps["RemoveExtraSpacesRefiner"] == 0.0
    assert gaps["RemovePunctuationRefiner"] == pytest.approx(0.05)
    assert gaps["RemoveEmojiRefiner"] == pytest.approx(0.3)
    assert gaps["RemoveStopwordsRefiner"] == 1.0
    # scale-free: the same ranking in other units gives the same shares
    scaled = retrieval_gaps([Candidate(n, 0.03 + s / 1000) for n, s in RANKING])
    assert scaled == pytest.approx(gaps)
    assert retrieval_gaps([Candidate("A", 1.0), Candidate("B", 1.0)]) == {"A": 0.0, "B": 0.0}
    assert retrieval_gaps([]) == {}


async def test_a_weak_candidate_does_not_displace_a_strong_top_hit(cards):
    serving = scripted(choose=lambda step, options: "RemoveEmoticonsRefiner")  # gap 0.8
    operators, notes = await planned(serving, cards)
    assert operators == ["RemoveExtraSpacesRefiner"]
    assert any("kept RemoveExtraSpacesRefiner" in n and "far below" in n for n in notes)
    assert len(choice_questions(serving)) == 1  # nothing more to ask


async def test_a_near_tie_is_won_only_by_a_choice_that_passes_both_checks(cards):
    # consistent in both orders and rejects the top hit: the near neighbour wins
    serving = scripted(choose=lambda step, options: "RemovePunctuationRefiner")  # gap 0.05
    operators, notes = await planned(serving, cards)
    assert operators == ["RemovePunctuationRefiner"]
    assert any(
        "the model chose RemovePunctuationRefiner over" in n and "near tie" in n for n in notes
    )
    assert len(choice_questions(serving)) == 2
    # picked by position (the second listed): another answer in reverse order -> the top hit
    serving = scripted(choose=lambda step, options: options[1])
    operators, notes = await planned(serving, cards)
    assert operators == ["RemoveExtraSpacesRefiner"]
    assert any("then HtmlUrlRemoverRefiner with the options" in n for n in notes)
    # consistent but says the top hit does the step -> the top hit
    serving = scripted(
        choose=lambda step, options: "RemovePunctuationRefiner", confirm=lambda s, o: "yes"
    )
    operators, notes = await planned(serving, cards)
    assert operators == ["RemoveExtraSpacesRefiner"]
    assert any("also says RemoveExtraSpacesRefiner does the step" in n for n in notes)


async def test_a_clearly_lower_choice_must_survive_the_options_in_reverse_order(cards):
    # a model that knows: the same answer whatever the order -> it wins
    serving = scripted(choose=lambda step, options: "RemoveEmojiRefiner")  # gap 0.3
    operators, notes = await planned(serving, cards)
    assert operators == ["RemoveEmojiRefiner"]
    first, second = choice_questions(serving)
    assert second == first[::-1]
    # NONE moves too: offered last the first time, first the second time
    enums = [
        schema["properties"]["operator"]["enum"]
        for messages, schema in serving.requests
        if "Which operator does this step?" in str(messages[-1]["content"])
    ]
    assert enums == [[*first, NONE], [NONE, *second]]
    asked = [p for p in serving.prompts if "Which operator does this step?" in p][-1]
    assert asked.index(f"Answer {NONE}") < asked.index("- RemoveExtraSpacesRefiner(")
    assert any("says RemoveExtraSpacesRefiner does not do the step" in n for n in notes)
    # a model that picks by position (the fourth listed): another answer -> the top hit stands
    serving = scripted(choose=lambda step, options: options[3])
    operators, notes = await planned(serving, cards)
    assert operators == ["RemoveExtraSpacesRefiner"]
    assert any(
        "the model chose HtmlUrlRemoverRefiner, then RemovePunctuationRefiner" in n for n in notes
    )


async def test_a_model_drawn_to_a_word_must_also_reject_the_top_hit(cards):
    # the same choice in both orders, but it says the top hit does the step: the top hit stands
    serving = scripted(
        choose=lambda step, options: "RemoveEmojiRefiner", confirm=lambda step, op: "yes"
    )
    operators, notes = await planned(serving, cards)
    assert operators == ["RemoveExtraSpacesRefiner"]
    assert any("also says RemoveExtraSpacesRefiner does the step" in n for n in notes)
    asked = [p for p in serving.prompts if "Does this operator do this step?" in p]
    assert len(asked) == 1 and "Operator: RemoveExtraSpacesRefiner(" in asked[0]
    # it rejects the top hit: its choice wins (the previous test)


async def test_none_must_survive_the_options_in_reverse_order(cards):
    # NONE consistently: no operator does it, a written prompt does
    serving = scripted(choose=lambda step, options: NONE)
    operators, _ = await planned(serving, cards)
    assert operators == [NONE]
    # NONE once, then an operator: the top hit stands
    answers = iter([NONE, "RemoveEmojiRefiner"])
    serving = scripted(choose=lambda step, options: next(answers))
    operators, notes = await planned(serving, cards)
    assert operators == ["RemoveExtraSpacesRefiner"]
    assert any("the model chose NONE, then RemoveEmojiRefiner" in n for n in notes)


async def test_an_unreadable_answer_keeps_the_top_hit_even_when_asked_again(cards):
    answers = iter(['{"operator": "RemoveEmojiRefiner"}', "no idea"])

    def answer(prompt: str) -> str:
        if "Which operator does this step?" in prompt:
            return next(answers)
        return scripted().answer(prompt)

    operators, _ = await planned(ScriptedServing(answer), cards)
    assert operators == ["RemoveExtraSpacesRefiner"]  # not the first of the reversed list


# -- operator synthesis: a class the model writes, tried only in the sandbox ---------------------

DIGITS = '''
import re
from streamflow import Generator


class DigitCounter(Generator):
    """Counts the digits of a text."""

    def process(self, rows, input_key="text", output_key="digit_count"):
        for row in rows:
            row[output_key] = len(re.findall(r"[0-9]", row[input_key]))
        return rows
'''
PHONES = [{"text": "Call  555 0199 today"}, {"text": "Open   9 to 17"}]
COUNT_REQUEST = "Collapse runs of spaces, then count the digits in each text."
CODE_GAP = {"kind": "code", "instruction": "Count the digits.", "output_field": "digit_count"}


def writing(codes: list[str], **script) -> ScriptedServing:
    """:func:`scripted`, answering the n-th request for a class with ``codes[n]`` (the last
    one again when they run out)."""
    base = scripted(
        choose=lambda step, options: "RemoveExtraSpacesRefiner" if "spaces" in step else NONE,
        gap=CODE_GAP,
        **script,
    )
    written: list[str] = []

    def answer(prompt: str) -> str:
        if "Write one Python class for this step" in prompt:
            code = codes[min(len(written), len(codes) - 1)]
            written.append(code)
            return json.dumps({"class_name": "DigitCounter", "code": code})
        return base.answer(prompt)

    return ScriptedServing(answer)


def class_prompts(serving: ScriptedServing) -> list[str]:
    return [p for p in serving.prompts if "Write one Python class for this step" in p]


@needs_sandbox
async def test_a_step_no_operator_does_gets_a_written_class_that_runs_on_the_sample(
    cards, bm25_retriever
):
    serving = writing([DIGITS])
    report = await agent(serving, cards, bm25_retriever).run(COUNT_REQUEST, PHONES)
    assert report.ok, report.text()
    assert [s.operator for s in report.steps] == ["RemoveExtraSpacesRefiner", "DigitCounter"]
    assert report.steps[1].gap
    assert [r["digit_count"] for r in report.sample_output] == [7, 3]
    assert report.sample_output[0]["text"] == "Call 555 0199 today"
    tree = ast.parse(report.source)
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert classes == ["DigitCounter", "AgentPipeline"]
    assert "from streamflow import Generator" in report.source and "import re" in report.source
    assert (
        "self.digit_counter.run(self.storage.step(), output_key='digit_count', input_key='text')"
        in report.source
    )
    assert any("wrote the operator class DigitCounter (attempt 1)" in r for r in report.repairs)
    assert len(class_prompts(serving)) == 1
    # the file is an ordinary pipeline: it runs again in the sandbox as written
    from streamflow.agent.verify import trial_run

    again = await trial_run(report.source, PHONES, None, rows=2, timeout=120)
    assert again.stage == "done" and [r["digit_count"] for r in again.rows] == [7, 3]


@needs_sandbox
async def test_bad_classes_go_back_to_the_model_with_the_error(cards, bm25_retriever):
    codes = [
        "class DigitCounter(Generator:\n    pass\n",  # syntax error
        DIGITS.replace("(Generator)", "(object)"),  # wrong base
        DIGITS.replace("import re", "import re, subprocess"),  # forbidden import
        DIGITS.replace("row[input_key]))", "row[input_key])) // 0"),  # fails on the sample
        DIGITS,
    ]
    serving = writing(codes)
    report = await agent(serving, cards, bm25_retriever, synthesis_attempts=5).run(
        COUNT_REQUEST, PHONES
    )
    assert report.ok, report.text()
    assert report.steps[1].operator == "DigitCounter"
    prompts = class_prompts(serving)
    assert len(prompts) == 5
    assert "It was rejected: syntax error on line 1" in prompts[1]
    assert "must derive from exactly one of Refiner, Generator, Filter" in prompts[2]
    assert "import subprocess is not allowed" in prompts[3]
    assert "DigitCounter stopped at run: ZeroDivisionError" in prompts[4]
    assert any("(attempt 5)" in r for r in report.repairs)


@needs_sandbox
async def test_a_class_that_never_passes_leaves_the_step_to_a_prompt(cards, bm25_retriever):
    serving = writing([DIGITS.replace("(Generator)", "(Refiner, Filter)")], judge="seven")
    report = await agent(serving, cards, bm25_retriever, synthesis_attempts=2).run(
        COUNT_REQUEST, PHONES
    )
    assert report.ok, report.text()
    assert [s.operator for s in report.steps] == ["RemoveExtraSpacesRefiner", "PromptedGenerator"]
    assert len(class_prompts(serving)) == 2
    rejected = [r for r in report.repairs if "rejected" in r]
    assert len(rejected) == 2 and "derive from exactly one of" in rejected[0]
    assert "class " not in report.source.split("class AgentPipeline")[0]


@needs_sandbox
async def test_hostile_written_code_never_runs_in_the_agents_process(
    cards, bm25_retriever, tmp_path, monkeypatch
):
    marker = tmp_path / "pwned"
    hostile = f"""
import os, socket
from streamflow import Generator

os.system("touch {marker}")  # HOSTILE-MARKER
socket.create_connection(("1.1.1.1", 80), timeout=2)


class DigitCounter(Generator):
    def process(self, rows, input_key="text", output_key="digit_count"):
        open({str(marker)!r}, "w").write("x")
        return rows
"""
    # passes every static check; runs until killed, but only ever in the sandbox
    spinning = DIGITS.replace(
        "for row in rows:", "while True:\n            pass\n        for row in rows:"
    )
    seen: list[str] = []
    import builtins

    for name in ("exec", "eval", "compile"):
        real = getattr(builtins, name)

        def spy(source, *args, _real=real, _name=name, **kwargs):
            flags = args[2] if len(args) > 2 else kwargs.get("flags", 0)
            parse_only = _name == "compile" and flags & ast.PyCF_ONLY_AST  # ast.parse: reading
            text = str(source) if isinstance(source, str | bytes) else ""
            if not parse_only and ("HOSTILE-MARKER" in text or "while True" in text):
                seen.append(text)
            return _real(source, *args, **kwargs)

        monkeypatch.setattr(builtins, name, spy)
    serving = writing([hostile, spinning])
    report = await agent(
        serving, cards, bm25_retriever, synthesis_attempts=2, synthesis_timeout=8
    ).run(COUNT_REQUEST, PHONES)
    assert not marker.exists()
    assert seen == []  # never exec-ed, eval-ed or compiled in this process
    notes = [r for r in report.repairs if "DigitCounter" in r or "rejected" in r]
    assert "import os is not allowed" in notes[0]
    # the sandbox's time limit stopped the endless loop: wall-clock, or CPU time first when the
    # machine is loaded
    assert "wall-clock" in notes[1] or "CPU-time limit" in notes[1], notes[1]
    assert report.steps[1].operator == "PromptedGenerator"  # neither class was kept
    assert "HOSTILE" not in report.source and "while True" not in report.source


@needs_sandbox
async def test_a_written_class_that_fails_in_the_pipeline_gives_way_to_a_prompt(
    cards, bm25_retriever
):
    # on the raw sample it finds double spaces; after the first step collapsed them it writes
    # nothing: the pipeline's trial fails, the repair round hands the step to a prompt
    fragile = DIGITS.replace(
        'len(re.findall(r"[0-9]", row[input_key]))', '"yes" if "  " in row[input_key] else ""'
    )
    serving = writing([fragile], judge="seven")
    report = await agent(serving, cards, bm25_retriever, max_rounds=2).run(COUNT_REQUEST, PHONES)
    assert report.ok, report.text()
    assert report.rounds == 1
    assert [s.operator for s in report.steps] == ["RemoveExtraSpacesRefiner", "PromptedGenerator"]
    assert any("the written class DigitCounter failed the trial" in r for r in report.repairs)
    assert len(class_prompts(serving)) == 1  # not asked to write it again
    assert "class DigitCounter" not in report.source
