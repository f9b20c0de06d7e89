"""FuncCallConversationSampleEvaluator: an LLM judge scores a function-calling conversation.

The judge reads the conversation (as JSON) and answers ``{"score", "explanation"}`` under a
schema the serving enforces, the score a whole number from 1 to 5. DataFlow writes 0 when the
answer is not valid JSON; here such an answer fails the row with the reason, and so does a row
without a conversation.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import msgspec

from streamflow.actors.base import SampleEvaluator
from streamflow.operators.conversations.base import ConversationOperator, field_text
from streamflow.operators.conversations.prompts import ConversationEvalPrompt
from streamflow.operators.structured import ask_structured
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["ConversationScore", "FuncCallConversationSampleEvaluator"]


class ConversationScore(msgspec.Struct, forbid_unknown_fields=True):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    explanation: Annotated[str, msgspec.Meta(max_length=300)]


class FuncCallConversationSampleEvaluator(ConversationOperator, SampleEvaluator):
    """Writes the judge's 1-5 score of each conversation into ``output_score_key``."""

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (ConversationEvalPrompt,)
    answer_tokens = 384

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        prompt_template: ConversationEvalPrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._setup(llm_serving, prompt_template, ConversationEvalPrompt(), max_tokens)

    async def process(
        self,
        rows: list[Row],
        input_conversation_key: str = "conversations",
        output_score_key: str = "score",
    ) -> list[Row | Failure]:
        texts = [field_text(row, input_conversation_key) for row in rows]
        prompts = [t if isinstance(t, Failure) else self._prompt(conversation=t) for t in texts]
        scores = await ask_structured(
            self.llm_serving,
            [p if isinstance(p, str) else None for p in prompts],
            ConversationScore,
            params=[self._params(i) for i in row_ids()],
        )
        out: list[Row | Failure] = []
        for row, prompt, score in zip(rows, prompts, scores, strict=True):
            if isinstance(prompt, Failure):
                out.append(prompt)
            elif isinstance(score, ConversationScore):
                out.append({**row, output_score_key: score.score})
            else:
                out.append(score or Failure("no answer"))
        return out
