"""CondorGenerator: instruction data from nothing, seeded by a knowledge tree.

Each input row is a seed (see :mod:`streamflow.io.seeds`; a pipeline whose storage has no
input file gets ``num_samples // 3`` of them from this operator's ``seed_rows``). For a seed the
operator draws a topic, domain, theme and (with ``use_task_diversity``) a task scenario from the
knowledge tree, asks the model for three questions of rising difficulty, then asks it to answer
each; the seed becomes up to three rows ``{difficulty, instruction, output}`` with ids
``<seed id>/0..2``. The draw is seeded by the row id and ``seed``, so a rerun or a resumed run
asks exactly the same things.

Differences from DataFlow: the questions come back as JSON under a schema the serving enforces
(DataFlow parses ``[Easy][Question Start]...`` lines and silently skips answers it cannot
parse); a seed whose questions or answers fail goes to the dead letters with the reason; a
blank question is left out. The input rows' own fields are not copied to the new rows.
"""

from __future__ import annotations

import random
from typing import Annotated, Any, ClassVar

import msgspec

from streamflow.actors.base import RowGenerator
from streamflow.operators.llm import LLMOperator as LLMOperator
from streamflow.operators.structured import ask_structured, ask_texts, row_seed, sampling
from streamflow.operators.text_sft.prompts import CondorQuestionPrompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["CondorGenerator", "CondorQuestions"]

Question = Annotated[str, msgspec.Meta(max_length=200)]
DIFFICULTIES = ("Easy", "Medium", "Hard")
QUESTION_TOKENS = 640
"""The least ``max_tokens`` the questions are asked with (three of at most 200 characters)."""


class CondorQuestions(msgspec.Struct, forbid_unknown_fields=True):
    """The model's three questions, easiest first."""

    easy: Question
    medium: Question
    hard: Question


class CondorGenerator(LLMOperator, RowGenerator):
    """Makes question/answer rows of three difficulties per seed row (see the module docstring).

    ``num_samples`` is DataFlow's: the rows wanted, three per seed. ``seed``, ``temperature``
    and ``max_tokens`` (not in DataFlow) set the draw's seed and the sampling; ``None`` keeps
    the serving's own settings.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (CondorQuestionPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        num_samples: int = 15,
        use_task_diversity: bool = True,
        prompt_template: CondorQuestionPrompt | DIYPromptABC | None = None,
        *,
        seed: int = 0,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> None:
        if num_samples < 3:
            raise ValueError(
                f"num_samples must be at least 3 (three rows per seed), got {num_samples}"
            )
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self.num_samples = num_samples
        self.use_task_diversity = use_task_diversity
        self.prompt_template = (
            prompt_template if prompt_template is not None else CondorQuestionPrompt()
        )
        self.seed = seed
        self.temperature = temperature
        self.max_tokens = max_tokens

    @property
    def seed_rows(self) -> int:
        """How many seed rows ``num_samples`` needs: one per three questions."""
        return self.num_samples // 3

    def draw(self, row_id: str) -> dict[str, Any]:
        """The topic, domain, theme and scenario of one seed (the same for the same id)."""
        rng = random.Random(f"{self.seed}|{row_id}")
        tree = getattr(self.prompt_template, "tag", None) or CondorQuestionPrompt().tag
        topic = rng.choice(sorted(tree))
        domain = rng.choice(sorted(tree[topic]))
        theme = rng.choice(tree[topic][domain])
        scenarios = getattr(self.prompt_template, "task_types", None) or []
        task_type = rng.choice(scenarios) if self.use_task_diversity and scenarios else None
        return {"topic": topic, "domain": domain, "theme": theme, "task_type": task_type}

    async def process(
        self,
        rows: list[Row],
        output_instruction_key: str = "instruction",
        output_output_key: str = "output",
        output_difficulty_key: str = "difficulty",
    ) -> list[list[Row] | Failure]:
        ids = row_ids()
        draws = [self.draw(row_id) for row_id in ids]
        params = [self._params(row_id, "questions", QUESTION_TOKENS) for row_id in ids]
        prompts = [
            self.prompt_template.build_prompt(
                theme=d["theme"], domain=d["domain"], task_type=d["task_type"]
            )
            for d in draws
        ]
        asked = await ask_structured(self.llm_serving, prompts, CondorQuestions, params=params)
        questions: list[list[tuple[str, str]] | Failure] = []
        for answer in asked:
            if isinstance(answer, Failure) or answer is None:
                questions.append(answer or Failure("no answer"))
                continue
            texts = [answer.easy, answer.medium, answer.hard]
            kept = [
                (level, q.strip())
                for level, q in zip(DIFFICULTIES, texts, strict=True)
                if q.strip()
            ]
            questions.append(kept or Failure("the model wrote no question"))
        answer_prompts = []
        answer_params = []
        for row_id, qs in zip(ids, questions, strict=True):
            if isinstance(qs, Failure):
                continue
            for level, question in qs:
                answer_prompts.append(self._answer_prompt(question))
                answer_params.append(self._params(row_id, level))
        answers = iter(await ask_texts(self.llm_serving, answer_prompts, params=answer_params))
        out: list[list[Row] | Failure] = []
        for qs in questions:
            if isinstance(qs, Failure):
                out.append(_failed("questions", qs))
                continue
            made: list[Row] = []
            failed: Failure | None = None
            for level, question in qs:
                text = next(answers)
                if not isinstance(text, str):
                    failed = failed or _failed(f"{level} answer", text)
                    continue
                made.append(
                    {
                        output_difficulty_key: level,
                        output_instruction_key: question,
                        output_output_key: text.strip(),
                    }
                )
            out.append(failed if failed is not None else made)
        return out

    def _answer_prompt(self, question: str) -> str:
        build = getattr(self.prompt_template, "build_answer_prompt", None)
        return (
            str(build(question))
            if callable(build)
            else CondorQuestionPrompt().build_answer_prompt(question)
        )

    def _params(self, row_id: str, part: str, at_least: int | None = None) -> Any:
        return sampling(
            self.llm_serving,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            seed=row_seed(self.seed, row_id, part),
            at_least=at_least,
        )


def _failed(what: str, failure: Failure | None) -> Failure:
    if failure is None:
        return Failure(f"{what}: no answer")
    return Failure(f"{what}: {failure.reason}", transient=failure.transient)
