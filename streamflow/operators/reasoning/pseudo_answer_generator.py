"""ReasoningPseudoAnswerGenerator: a reference answer by majority vote over sampled solutions."""

from __future__ import annotations

from collections import Counter

from streamflow.actors.base import Generator
from streamflow.operators.reasoning._base import (
    LLMOperator,
    field_text,
    resolve_template,
)
from streamflow.operators.reasoning.answers import extract_answer
from streamflow.operators.reasoning.prompts import MathAnswerGeneratorPrompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["ReasoningPseudoAnswerGenerator"]


class ReasoningPseudoAnswerGenerator(LLMOperator, Generator):
    """Samples ``max_times`` solutions per question and takes the most frequent final answer.

    All ``max_times`` solutions come from ONE request (``SamplingParams(n=max_times)``: vLLM's
    and OpenAI's ``n``), not one request per sample as in DataFlow; give the serving a
    temperature above 0, or every sample is the same (greedy decoding: one request then stands
    for all, as vLLM refuses ``n > 1`` there). Like any expensive step, the samples are stored
    and replayed on resume. Writes:

    - ``output_key_answer``: every sample's final answer (Qwen-style extraction, normalised);
    - ``output_key_answer_value``: the majority answer (ties: the first sampled);
    - ``output_key_solutions``: the solutions that reached it;
    - ``output_key_correct_solution_example``: the first of those;
    - ``output_key_agreement``: the fraction of samples that reached it (not in DataFlow).

    A row none of whose samples has a final answer fails (DataFlow drops it, which a generator
    cannot do; the dead letter says why). Differences from DataFlow: the questions are sent
    through ``MathAnswerGeneratorPrompt`` (or ``prompt_template``), which DataFlow declares
    but does not use (it sends the bare question); answers are counted after normalisation,
    so ``18`` and ``18.00`` are one answer.
    """

    ALLOWED_PROMPTS = (MathAnswerGeneratorPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        max_times: int = 3,
        prompt_template: MathAnswerGeneratorPrompt | DIYPromptABC | None = None,
    ) -> None:
        if max_times < 1:
            raise ValueError(
                f"ReasoningPseudoAnswerGenerator: max_times must be >= 1, got {max_times}"
            )
        self.max_times = max_times
        self.prompt_template = resolve_template(self, prompt_template, MathAnswerGeneratorPrompt)
        self._use(llm_serving)

    async def process(
        self,
        rows: list[Row],
        input_key: str = "instruction",
        output_key_answer: str = "pseudo_answers",
        output_key_answer_value: str = "pseudo_answer_value",
        output_key_solutions: str = "pseudo_solutions",
        output_key_correct_solution_example: str = "pseudo_correct_solution_example",
        output_key_agreement: str = "pseudo_answer_agreement",
    ) -> list[Row | Failure]:
        prompts = []
        for row in rows:
            question = field_text(row, input_key)
            prompts.append(
                None if question is None else self.prompt_template.build_prompt(question=question)
            )
        samples = await self.ask_samples(prompts, self.max_times)
        out: list[Row | Failure] = []
        for row, solutions in zip(rows, samples, strict=True):
            if isinstance(solutions, Failure):
                out.append(solutions)
                continue
            if solutions is None:
                out.append(Failure(f"empty question in {input_key!r}"))
                continue
            answers = [extract_answer(s) for s in solutions]
            votes = Counter(a for a in answers if a)
            if not votes:
                out.append(
                    Failure(f"none of the {len(solutions)} sampled solutions has a final answer")
                )
                continue
            majority, count = votes.most_common(1)[0]
            agreeing = [s for s, a in zip(solutions, answers, strict=True) if a == majority]
            out.append(
                {
                    **row,
                    output_key_answer: answers,
                    output_key_answer_value: majority,
                    output_key_solutions: agreeing,
                    output_key_correct_solution_example: agreeing[0],
                    output_key_agreement: count / len(solutions),
                }
            )
        return out
