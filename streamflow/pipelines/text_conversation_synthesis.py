"""text_conversation_synthesis: multi-turn dialogues from nothing, each kept on one intent
(DataFlow's ``text_conversation_synthesis``, ConsistentChat).

Nine intent types x ``num_dialogs_per_intent`` dialogues of ``num_turns_per_dialog`` turns,
written in the OpenAI chat format. No input file: the dialogues start as seed rows (``gen:0``
..), so the run streams and resumes exactly::

    streamflow run text_conversation_synthesis --output chats.jsonl --run-dir runs/chats
"""

from __future__ import annotations

from streamflow.operators.conversations.consistent_chat import ConsistentChatGenerator
from streamflow.operators.conversations.prompts import ConsistentChatPrompt
from streamflow.pipeline import Pipeline
from streamflow.serving.base import LLMServing, SamplingParams
from streamflow.storage import FileStorage


class TextConversationSynthesisPipeline(Pipeline):
    """ConsistentChat: topic-consistent dialogues for every intent type."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        num_dialogs_per_intent: int = 5,
        num_turns_per_dialog: int = 4,
        max_tokens: int = 768,
    ) -> None:
        self.storage = FileStorage(output_file="text_conversation_synthesis.jsonl")
        if llm_serving is None:
            from streamflow.serving.vllm_backend import VLLMServing

            # SmolLM2 reads 8k tokens; 2k leaves room for long prompts and JSON answers
            llm_serving = VLLMServing(
                params=SamplingParams(max_tokens=max_tokens), max_model_len=2048
            )
        self.processor = ConsistentChatGenerator(
            llm_serving,
            num_dialogs_per_intent=num_dialogs_per_intent,
            num_turns_per_dialog=num_turns_per_dialog,
            prompt_template=ConsistentChatPrompt(),
            max_tokens=max_tokens,
        )

    def forward(self) -> None:
        self.processor.run(self.storage.step())
