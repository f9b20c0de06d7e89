"""Prompt templates for QA generation and scoring in core_text (DataFlow's names, our wording)."""

from __future__ import annotations

from streamflow.prompts.base import PromptTemplate

__all__ = [
    "Text2MultiHopQAGeneratorPrompt",
    "Text2QAAnswerAlignmentPrompt",
    "Text2QAAnswerVerifiabilityPrompt",
    "Text2QAAutoPromptGeneratorPrompt",
    "Text2QADownstreamValuePrompt",
    "Text2QAQuestionQualityPrompt",
    "Text2QASeedQuestionGeneratorPrompt",
]


class Text2QAAutoPromptGeneratorPrompt(PromptTemplate):
    """Step 1 of Text2QAGenerator: instructions, written for this text, that each extract one
    short, verifiable QA pair from it."""

    def build_prompt(self, seed_data: str) -> str:
        return f"""Below is a piece of text. Write instructions for another language model that
will read this same text and extract ONE question-answer pair from it, suitable as a training
example with an automatically checkable answer.

Each instruction must:
- say what kind of text the model will read and ask for exactly one QA pair;
- ask for a clear, specific question about a fact stated in the text;
- ask for an answer of a few words (a name, number, date or term) taken from the text, not a
  sentence, so that it can be checked automatically.

Write as many different instructions as the text supports, each aiming at a different fact.
Do not answer them yourself and do not copy the text into them.
Reply with a JSON array of strings only: ["instruction 1", "instruction 2", ...]

Text:
{seed_data}"""


class Text2QASeedQuestionGeneratorPrompt(PromptTemplate):
    """Step 2 of Text2QAGenerator: the answer format appended to each generated instruction."""

    def build_prompt(self) -> str:
        return "\n\nReply in exactly this format:\nQ: <question>\nA: <answer>\n\nText:\n"


def _rubric(role: str, subject: str, levels: list[str], feedback: str) -> str:
    scale = "\n".join(f"{5 - i} = {text}" for i, text in enumerate(levels))
    return f"""You are {role}. Judge {subject}

Score from 1 to 5:
{scale}

Reply in exactly this format:
**Grading**: <score from 1 to 5>

**Feedback**: {feedback}

"""


class Text2QAQuestionQualityPrompt(PromptTemplate):
    def build_prompt(self) -> str:
        return _rubric(
            "a reviewer of question quality",
            "whether the question below is clear, well defined and worth asking.",
            [
                "clear, specific and meaningful",
                "clear but a little vague or broad",
                "understandable but poorly scoped",
                "ambiguous or unnatural",
                "meaningless",
            ],
            "why, and how the question could be clearer.",
        )


class Text2QAAnswerAlignmentPrompt(PromptTemplate):
    def build_prompt(self) -> str:
        return _rubric(
            "a reviewer of answers",
            "whether the answer below directly answers its question.",
            [
                "answers it fully and directly",
                "mostly answers it, with small gaps or extras",
                "answers part of it",
                "barely related to it",
                "unrelated to it",
            ],
            "why, naming what is missing or off-topic.",
        )


class Text2QAAnswerVerifiabilityPrompt(PromptTemplate):
    def build_prompt(self) -> str:
        return _rubric(
            "a reviewer of answers",
            "how easily the correctness of the answer below can be checked: is it factual, "
            "precise and objective?",
            [
                "objective and precise: trivially checkable",
                "checkable, with small ambiguities",
                "partly checkable, partly vague or subjective",
                "hard to check: vague or opinion",
                "cannot be checked",
            ],
            "why, and how the answer could be made checkable.",
        )


class Text2QADownstreamValuePrompt(PromptTemplate):
    def build_prompt(self) -> str:
        return _rubric(
            "a reviewer of training data",
            "how useful the question-answer pair below is for training models on tasks such "
            "as question answering, retrieval or dialogue.",
            [
                "very useful: precise and informative",
                "useful with small limits",
                "somewhat useful",
                "of little use: vague or generic",
                "useless",
            ],
            "why, and how it could become more useful.",
        )


_MULTIHOP_SYSTEM_EN = """You write multi-hop questions: questions that can only be answered by
combining two or three facts stated in a given context.

Rules:
1. Pick 2-3 facts from the context that are linked (one leads to, explains or qualifies the
   other).
2. Ask one question that needs all of them; answering from a single fact must not be enough.
3. Give 2-3 numbered reasoning steps, each using one of the facts.
4. The answer brings the steps together.
5. Supporting facts are copied word for word from the context.
6. Use only the main text: not links, references or footnotes.

Reply with one JSON object and nothing else, its fields in this order:
{"question": "...", "answer": "...", "reasoning_steps": [{"step": "..."}, {"step": "..."}],
 "supporting_facts": ["...", "..."], "type": "<subject area>"}

Example. Context: "Glaciers store most of the world's fresh water. As they melt, sea levels
rise. Rising seas flood low coastal farmland."
{"question": "How can melting glaciers affect coastal farming?",
 "answer": "Their meltwater raises sea levels, which floods low coastal farmland.",
 "reasoning_steps": [{"step": "Glaciers hold fresh water that flows to the sea as they melt."},
                     {"step": "Higher seas flood low coastal farmland."}],
 "supporting_facts": ["As they melt, sea levels rise", "Rising seas flood low coastal farmland"],
 "type": "geography"}"""

_MULTIHOP_SYSTEM_ZH = """你负责编写多跳问题：必须结合给定上下文中的两到三个事实才能回答的问题。

规则：
1. 从上下文中选出两到三个相互关联的事实（一个导致、解释或限定另一个）。
2. 提出一个需要全部这些事实才能回答的问题；只用其中一个事实不足以回答。
3. 给出两到三个带编号的推理步骤，每一步使用一个事实。
4. 答案整合各个推理步骤。
5. 支撑事实必须逐字摘自上下文。
6. 只使用正文内容，不使用链接、参考文献或脚注。

只输出一个 JSON 对象，不要其他内容：
{"question": "...", "answer": "...", "reasoning_steps": [{"step": "..."}, {"step": "..."}],
 "supporting_facts": ["...", "..."], "type": "<学科领域>"}"""


class Text2MultiHopQAGeneratorPrompt(PromptTemplate):
    """System prompt and user prompt of the multi-hop QA generators (``lang`` "en" or "zh")."""

    def __init__(self, lang: str = "en") -> None:
        if lang not in ("en", "zh"):
            raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
        self.lang = lang

    def build_system_prompt(self) -> str:
        return _MULTIHOP_SYSTEM_EN if self.lang == "en" else _MULTIHOP_SYSTEM_ZH

    def build_prompt(self, text: str) -> str:
        if self.lang == "en":
            return f"Context:\n{text}\n\nWrite one multi-hop question as the JSON object described."
        return f"上下文：\n{text}\n\n请按上述 JSON 格式编写一个多跳问题。"
