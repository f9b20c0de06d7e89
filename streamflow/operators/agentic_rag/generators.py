"""DataFlow's agentic-RAG generators: atomic questions from documents, then deeper and wider ones.

All three keep only questions that the model cannot answer unaided (a recall score below 1 for
its own answer), so what remains needs retrieval. Rows that do not survive a stage are dropped
with the stage and the reason (DataFlow drops them silently); a failed request fails its row.
Requests of independent rows and candidates go out concurrently; the stages of one candidate
run in order.

- :class:`AgenticRAGAtomicTaskGenerator`: per document, an identifier and atomic conclusions;
  per conclusion, a question, a refined answer, the model's unaided answer (kept if wrong), the
  answer from the document (kept if right), and alternative spellings of the answer. One row
  per surviving question (at most ``max_question`` per document).
- :class:`AgenticRAGDepthQAGenerator`: ``n_rounds`` of "go one level up": a superset of the
  current identifier and a relation back to it, checked, then a question through it.
- :class:`AgenticRAGWidthQAGenerator`: merges each row's question with the next row's into one
  question asking both (within a batch: the last row of a batch has no neighbour).
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

import anyio

from streamflow.operators._dropping import Drop, DroppingRowGenerator
from streamflow.operators.agentic_rag import prompts as P
from streamflow.operators.llm import LLMOperator, answer_text
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMRequestError, LLMServing

__all__ = [
    "AgenticRAGAtomicTaskGenerator",
    "AgenticRAGDepthQAGenerator",
    "AgenticRAGWidthQAGenerator",
    "loads_lenient",
]

_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.I)


def loads_lenient(text: str) -> Any:
    """The JSON in a model's answer (code fences and surrounding words allowed), or None."""
    stripped = _FENCE.sub("", text.strip())
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    starts = [i for i in (stripped.find("["), stripped.find("{")) if i >= 0]
    if not starts:
        return None
    start = min(starts)
    end = max(stripped.rfind("]"), stripped.rfind("}"))
    try:
        return json.loads(stripped[start : end + 1])
    except ValueError:
        return None


class _Stop(Exception):
    """A candidate ends at a stage: dropped (an outcome) or failed (a request that failed)."""

    def __init__(self, reason: str, failed: bool = False, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.failed, self.transient = reason, failed, transient


class _Agentic(LLMOperator):
    async def ask_stage(self, stage: str, prompt: str, system: str = "") -> str:
        try:
            completion = await self.llm_serving.complete(prompt, system_prompt=system)
        except LLMRequestError as exc:
            raise _Stop(f"{stage}: {exc.reason}", failed=True, transient=exc.transient) from None
        answer = answer_text(completion, self.llm_serving, self.accept_truncated)
        if isinstance(answer, Failure):
            raise _Stop(f"{stage}: {answer.reason}", failed=True)
        return answer

    async def ask_json(self, stage: str, prompt: str, system: str = "") -> Any:
        answer = await self.ask_stage(stage, prompt, system)
        data = loads_lenient(answer)
        if data is None:
            raise _Stop(f"{stage}: no JSON in the answer {answer[:80]!r}")
        return data

    async def score(self, stage: str, golden: Any, other: Any) -> float:
        template = P.AtomicTaskGeneratorRecallScorePrompt()
        data = await self.ask_json(
            stage,
            template.build_prompt(_text(golden), _text(other)),
            template.build_system_prompt(),
        )
        value = data.get("answer_score") if isinstance(data, dict) else None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _Stop(f"{stage}: no answer_score in the answer")
        return float(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _first(data: Any) -> Any:
    return data[0] if isinstance(data, list) and data else data


async def _gather(factories: list[Any]) -> list[Any]:
    """Run coroutine factories concurrently; each result, or the _Stop it raised."""
    results: list[Any] = [None] * len(factories)

    async def one(i: int) -> None:
        try:
            results[i] = await factories[i]()
        except _Stop as stop:
            results[i] = stop

    async with anyio.create_task_group() as tg:
        for i in range(len(factories)):
            tg.start_soon(one, i)
    return results


def _settle(result: Any) -> list[Row] | Drop | Failure:
    if isinstance(result, _Stop):
        return Failure(result.reason, result.transient) if result.failed else Drop(result.reason)
    rows: list[Row] = result
    return rows


class AgenticRAGAtomicTaskGenerator(_Agentic, DroppingRowGenerator):
    """Verifiable atomic questions from each document of ``input_key`` (see the module).

    Children (ids ``doc/k``) keep the document's fields and add DataFlow's: ``identifier``,
    ``candidate_tasks_str``, the question, answer (the conclusion), refined answer, the model's
    unaided answer and its ``llm_score``, the answer from the document and its
    ``golden_doc_score``, and ``optional_answer`` (alternative spellings). ``data_num`` is kept
    for compatibility and, as in DataFlow, unused.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (
        P.AtomicTaskGeneratorGetIdentifierPrompt,
        P.AtomicTaskGeneratorGetConlcusionPrompt,
        P.AtomicTaskGeneratorQuestionPrompt,
        P.AtomicTaskGeneratorCleanQAPrompt,
        P.AtomicTaskGeneratorAnswerPrompt,
        P.AtomicTaskGeneratorRecallScorePrompt,
        P.AtomicTaskGeneratorOptionalAnswerPrompt,
        P.AtomicTaskGeneratorGoldenDocAnswerPrompt,
    )

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        data_num: int = 100,
        max_per_task: int = 10,
        max_question: int = 10,
    ) -> None:
        self._use(llm_serving)
        self.data_num, self.max_per_task, self.max_question = data_num, max_per_task, max_question

    async def process(
        self,
        rows: list[Row],
        input_key: str = "prompts",
        output_question_key: str = "question",
        output_answer_key: str = "answer",
        output_refined_answer_key: str = "refined_answer",
        output_optional_answer_key: str = "optional_answer",
        output_llm_answer_key: str = "llm_answer",
        output_golden_doc_answer_key: str = "golden_doc_answer",
        output_identifier_key: str = "identifier",
        output_candidate_key: str = "candidate_tasks_str",
        output_llm_score_key: str = "llm_score",
        output_golden_doc_score_key: str = "golden_doc_score",
    ) -> list[list[Row] | Drop | Failure]:
        keys = {
            "question": output_question_key,
            "answer": output_answer_key,
            "refined": output_refined_answer_key,
            "optional": output_optional_answer_key,
            "llm": output_llm_answer_key,
            "golden": output_golden_doc_answer_key,
            "identifier": output_identifier_key,
            "candidate": output_candidate_key,
            "llm_score": output_llm_score_key,
            "golden_score": output_golden_doc_score_key,
        }
        results = await _gather(
            [lambda row=row: self._document(row, input_key, keys) for row in rows]
        )
        return [_settle(r) for r in results]

    async def _document(self, row: Row, input_key: str, keys: dict[str, str]) -> list[Row]:
        doc = row.get(input_key)
        if not isinstance(doc, str) or not doc.strip():
            raise _Stop(f"empty field {input_key!r}")
        ident_t, concl_t = (
            P.AtomicTaskGeneratorGetIdentifierPrompt(),
            P.AtomicTaskGeneratorGetConlcusionPrompt(),
        )
        identifier_data, conclusions = await _gather(
            [
                lambda: self.ask_json(
                    "identifier", ident_t.build_prompt(doc), ident_t.build_system_prompt()
                ),
                lambda: self.ask_json(
                    "conclusions", concl_t.build_prompt(doc), concl_t.build_system_prompt()
                ),
            ]
        )
        for result in (identifier_data, conclusions):
            if isinstance(result, _Stop):
                raise result
        identifier = (
            identifier_data.get("content_identifier", "Unknown")
            if isinstance(identifier_data, dict)
            else "Unknown"
        )
        candidates = [
            c
            for c in (conclusions if isinstance(conclusions, list) else [])
            if isinstance(c, dict) and "conclusion" in c and "R" in c
        ][: self.max_per_task]
        if not candidates:
            raise _Stop("conclusions: no {conclusion, R} item in the answer")
        done = await _gather(
            [lambda c=c: self._candidate(doc, str(identifier), c) for c in candidates]
        )
        failed = [d for d in done if isinstance(d, _Stop) and d.failed]
        kept = [d for d in done if isinstance(d, dict)]
        if not kept:
            raise (
                failed[0]
                if failed
                else _Stop(
                    "no candidate survived: "
                    + "; ".join(d.reason for d in done if isinstance(d, _Stop))[:300]
                )
            )
        return [
            {
                **row,
                keys["identifier"]: json.dumps(
                    {"content_identifier": identifier}, ensure_ascii=False
                ),
                keys["candidate"]: json.dumps(task["candidate"], ensure_ascii=False),
                keys["question"]: task["question"],
                keys["answer"]: task["answer"],
                keys["refined"]: task["refined"],
                keys["llm"]: task["llm"],
                keys["llm_score"]: task["llm_score"],
                keys["golden"]: task["golden"],
                keys["golden_score"]: task["golden_score"],
                keys["optional"]: task["optional"],
            }
            for task in kept[: self.max_question]
        ]

    async def _candidate(
        self, doc: str, identifier: str, candidate: dict[str, Any]
    ) -> dict[str, Any]:
        question_t = P.AtomicTaskGeneratorQuestionPrompt()
        data = await self.ask_json(
            "question",
            question_t.build_prompt(identifier, str(candidate["conclusion"]), str(candidate["R"])),
            question_t.build_system_prompt(),
        )
        question = data.get("Q") if isinstance(data, dict) else None
        if not question:
            raise _Stop("question: no Q in the answer")
        answer = str(candidate["conclusion"])
        clean_t = P.AtomicTaskGeneratorCleanQAPrompt()
        cleaned = await self.ask_json(
            "refine",
            clean_t.build_prompt({"question": question, "original_answer": answer}),
            clean_t.build_system_prompt(),
        )
        refined = str(cleaned.get("refined_answer", "")) if isinstance(cleaned, dict) else ""
        if not refined:
            raise _Stop("refine: no refined_answer")
        llm = await self.ask_stage(
            "unaided answer", P.AtomicTaskGeneratorAnswerPrompt().build_prompt(question)
        )
        llm_score = await self.score("unaided score", refined, llm)
        if llm_score >= 1:
            raise _Stop(f"the model answers it unaided (score {llm_score:g})")
        golden = await self.ask_stage(
            "document answer",
            P.AtomicTaskGeneratorGoldenDocAnswerPrompt().build_prompt(doc, question),
        )
        golden_score = await self.score("document score", refined, golden)
        if golden_score < 1:
            raise _Stop(f"the document does not support the answer (score {golden_score:g})")
        optional_t = P.AtomicTaskGeneratorOptionalAnswerPrompt()
        try:
            options = await self.ask_json(
                "alternatives", optional_t.build_prompt(refined), optional_t.build_system_prompt()
            )
        except _Stop as stop:
            if stop.failed:
                raise
            options = [refined]  # as DataFlow: the refined answer alone
        if not isinstance(options, list):
            options = [refined]
        return {
            "candidate": candidate,
            "question": str(question),
            "answer": answer,
            "refined": refined,
            "llm": llm,
            "llm_score": llm_score,
            "golden": golden,
            "golden_score": golden_score,
            "optional": [str(o) for o in options],
        }


class AgenticRAGDepthQAGenerator(_Agentic, DroppingRowGenerator):
    """Deeper questions by going up ``n_rounds`` levels from each row's question (see module).

    Round ``k`` writes ``new_identifier_k``, ``relation_k`` and ``{output_key}_k``, as in
    DataFlow. ``input_identifier_key`` is used when the row has it, else asked for. The unaided
    answer is scored against ``input_refined_answer_key`` (DataFlow's fixed ``refined_answer``).
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (
        P.DepthQAGeneratorGetIdentifierPrompt,
        P.DepthQAGeneratorBackwardTaskPrompt,
        P.DepthQAGeneratorSupersetCheckPrompt,
        P.DepthQAGeneratorQuestionPrompt,
        P.DepthQAGeneratorAnswerPrompt,
        P.DepthQAGeneratorRecallScorePrompt,
    )

    def __init__(self, llm_serving: LLMServing | None = None, n_rounds: int = 2) -> None:
        if n_rounds < 1:
            raise ValueError(f"n_rounds must be >= 1, got {n_rounds}")
        self._use(llm_serving)
        self.n_rounds = n_rounds

    def run(self, storage: Any, **keys: Any) -> None:
        """Declare the per-round fields, so that compile() knows what is written."""
        output_key = keys.get("output_key", "depth_question")
        keys["output_round_keys"] = [
            name
            for k in range(1, self.n_rounds + 1)
            for name in (f"new_identifier_{k}", f"relation_{k}", f"{output_key}_{k}")
        ]
        super().run(storage, **keys)

    async def process(
        self,
        rows: list[Row],
        input_key: str = "question",
        output_key: str = "depth_question",
        input_refined_answer_key: str = "refined_answer",
        input_identifier_key: str = "identifier",
        output_round_keys: list[str] | None = None,
    ) -> list[list[Row] | Drop | Failure]:
        results = await _gather(
            [
                lambda row=row: self._deepen(
                    row, input_key, output_key, input_refined_answer_key, input_identifier_key
                )
                for row in rows
            ]
        )
        return [_settle(r) for r in results]

    async def _deepen(
        self, row: Row, input_key: str, output_key: str, refined_key: str, identifier_key: str
    ) -> list[Row]:
        question = row.get(input_key)
        if not isinstance(question, str) or not question.strip():
            raise _Stop(f"empty field {input_key!r}")
        new = dict(row)
        identifier = row.get(identifier_key)
        if not identifier:
            template = P.DepthQAGeneratorGetIdentifierPrompt()
            data = await self.ask_json(
                "identifier", template.build_prompt(question), template.build_system_prompt()
            )
            identifier = data.get("content_identifier") if isinstance(data, dict) else None
            if not identifier:
                raise _Stop("identifier: no content_identifier")
            new[identifier_key] = identifier
        current = str(identifier)
        for k in range(1, self.n_rounds + 1):
            back = await self.ask_json(
                f"round {k} superset", P.DepthQAGeneratorBackwardTaskPrompt().build_prompt(current)
            )
            if not (isinstance(back, dict) and back.get("identifier") and back.get("relation")):
                raise _Stop(f"round {k} superset: no identifier and relation")
            superset, relation = str(back["identifier"]), str(back["relation"])
            check_t = P.DepthQAGeneratorSupersetCheckPrompt()
            check = await self.ask_json(
                f"round {k} check",
                check_t.build_prompt(superset, relation, current),
                check_t.build_system_prompt(),
            )
            if not (isinstance(check, dict) and check.get("new_query") == "valid"):
                raise _Stop(f"round {k} check: the superset does not single out {current!r}")
            question_t = P.DepthQAGeneratorQuestionPrompt()
            asked = await self.ask_json(
                f"round {k} question",
                question_t.build_prompt(superset, relation, current),
                question_t.build_system_prompt(),
            )
            deeper = asked.get("new_query") if isinstance(asked, dict) else None
            if not deeper:
                raise _Stop(f"round {k} question: no new_query")
            unaided = await self.ask_stage(
                f"round {k} unaided answer",
                P.DepthQAGeneratorAnswerPrompt().build_prompt(str(deeper)),
            )
            score = await self.score(f"round {k} unaided score", row.get(refined_key, ""), unaided)
            if score >= 1:
                raise _Stop(f"round {k}: the model answers it unaided (score {score:g})")
            new[f"new_identifier_{k}"] = superset
            new[f"relation_{k}"] = relation
            new[f"{output_key}_{k}"] = str(deeper)
            current = superset
        return [new]


class AgenticRAGWidthQAGenerator(_Agentic, DroppingRowGenerator):
    """Merges each row's question with the next row's (within a batch) into one wider question.

    The merged question must decompose back into the two (origin check, ``state`` 1) and the
    model must not answer it unaided. The child of row ``i`` keeps row ``i``'s fields and adds
    the merged question, ``content_identifier``, ``qa_index``, ``original_question``,
    ``original_answer`` and ``state``, as in DataFlow. The last row of each batch has no
    neighbour and is dropped with that reason: DataFlow merges neighbours across its whole
    dataframe, here across each batch.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (
        P.WidthQAGeneratorMergePrompt,
        P.WidthQAGeneratorOriginCheckPrompt,
        P.WidthQAGeneratorQuestionVerifyPrompt,
        P.WidthQAGeneratorRecallScorePrompt,
    )

    def __init__(self, llm_serving: LLMServing | None = None) -> None:
        self._use(llm_serving)

    async def process(
        self,
        rows: list[Row],
        input_question_key: str = "question",
        input_identifier_key: str = "identifier",
        input_answer_key: str = "answer",
        output_question_key: str = "generated_width_task",
        output_identifier_key: str = "content_identifier",
        output_original_question_key: str = "original_question",
        output_original_answer_key: str = "original_answer",
    ) -> list[list[Row] | Drop | Failure]:
        items = [
            {
                "index": i,
                "question": row.get(input_question_key),
                "content_identifier": row.get(input_identifier_key),
                "golden_answer": row.get(input_answer_key),
            }
            for i, row in enumerate(rows)
        ]
        keys = (
            output_question_key,
            output_identifier_key,
            output_original_question_key,
            output_original_answer_key,
        )
        results = await _gather(
            [
                lambda i=i: self._merge(rows[i], items[i], items[i + 1], keys)
                for i in range(len(rows) - 1)
            ]
        )
        out = [_settle(r) for r in results]
        if rows:
            out.append(Drop("last row of its batch: no next question to merge with"))
        return out

    async def _merge(
        self,
        row: Row,
        first: dict[str, Any],
        second: dict[str, Any],
        keys: tuple[str, str, str, str],
    ) -> list[Row]:
        if not first["question"] or not second["question"]:
            raise _Stop("a question to merge is empty")
        merge_t = P.WidthQAGeneratorMergePrompt()
        merged = _first(
            await self.ask_json(
                "merge", merge_t.build_prompt([first, second]), merge_t.build_system_prompt()
            )
        )
        if not (isinstance(merged, dict) and merged.get("question")):
            raise _Stop("merge: no question in the answer")
        group = [first, second]
        check_t = P.WidthQAGeneratorOriginCheckPrompt()
        check = _first(
            await self.ask_json(
                "origin check",
                check_t.build_prompt(
                    {
                        "index": first["index"],
                        "complex_question": merged["question"],
                        "original_questions": [g["question"] for g in group],
                    }
                ),
                check_t.build_system_prompt(),
            )
        )
        state = check.get("state") if isinstance(check, dict) else None
        if state != 1:
            raise _Stop("origin check: the merged question does not decompose into the two")
        question = str(check.get("complex_question") or merged["question"])
        verify_t = P.WidthQAGeneratorQuestionVerifyPrompt()
        verified = _first(
            await self.ask_json(
                "unaided answer",
                verify_t.build_prompt({"index": first["index"], "complex_question": question}),
                verify_t.build_system_prompt(),
            )
        )
        unaided = verified.get("llm_answer") if isinstance(verified, dict) else None
        answers = [g["golden_answer"] for g in group]
        score = await self.score("unaided score", answers, unaided or "")
        if score >= 1:
            raise _Stop(f"the model answers it unaided (score {score:g})")
        question_key, identifier_key, oq_key, oa_key = keys
        return [
            {
                **row,
                question_key: question,
                identifier_key: merged.get("content_identifier", first["content_identifier"]),
                "qa_index": [g["index"] for g in group],
                oq_key: [g["question"] for g in group],
                oa_key: answers,
                "state": 1,
            }
        ]
