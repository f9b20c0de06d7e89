"""KBCMultiHopQAGeneratorBatch: multi-hop QA pairs for every cleaned chunk of a chunk file."""

from __future__ import annotations

from streamflow.actors.base import Generator
from streamflow.operators.core_text.multihop import MultiHopQA, complexity
from streamflow.operators.core_text.qa_prompts import Text2MultiHopQAGeneratorPrompt
from streamflow.operators.knowledge_cleaning.text_cleaner import _read_items, _write_items
from streamflow.operators.llm import LLMOperator
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["KBCMultiHopQAGeneratorBatch"]


class KBCMultiHopQAGeneratorBatch(LLMOperator, Generator):
    """Adds ``qa_pairs`` (and ``qa_metadata``) to each item of a cleaned chunk file, in place;
    ``output_key`` gets the file's path.

    Each item's ``cleaned_chunk`` goes through the same construction as
    :class:`~streamflow.operators.core_text.multihop.Text2MultiHopQAGenerator` (``num_q``
    pairs at most). A chunk that gives no pair gets ``[]`` (and the reason in its metadata);
    a request that fails fails the row, leaving the file unchanged.
    """

    ALLOWED_PROMPTS = (Text2MultiHopQAGeneratorPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        seed: int = 0,
        lang: str = "en",
        prompt_template: Text2MultiHopQAGeneratorPrompt | DIYPromptABC | None = None,
        num_q: int = 5,
    ) -> None:
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self.seed = seed
        self.lang = lang
        self.prompt_template = prompt_template or Text2MultiHopQAGeneratorPrompt(lang=lang)
        self._qa = MultiHopQA(self.ask, self.prompt_template, lang, num_q)

    async def process(
        self,
        rows: list[Row],
        input_key: str = "chunk_path",
        output_key: str = "enhanced_chunk_path",
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = []
        for row in rows:
            path = row.get(input_key)
            items = await _read_items(path)
            if isinstance(items, Failure):
                out.append(items)
                continue
            results = await self._qa.generate([i.get("cleaned_chunk") for i in items])
            failure = next((r for r in results if isinstance(r, Failure)), None)
            if failure is not None:
                out.append(Failure(f"{path}: {failure.reason}", transient=failure.transient))
                continue
            for item, result in zip(items, results, strict=True):
                pairs = result if isinstance(result, list) else []
                item["qa_pairs"] = pairs
                item["qa_metadata"] = {
                    "complexity": complexity(pairs),
                    **({"skipped": result} if isinstance(result, str) else {}),
                }
            await _write_items(str(path), items)
            out.append({**row, output_key: str(path)})
        return out
