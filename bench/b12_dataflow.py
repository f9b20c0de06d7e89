"""B12 reference: open-dataflow's reasoning math pipeline (``ReasoningMath_APIPipeline``'s eleven
steps, its operators and prompts) against the B12 server, as its users run it.

Runs in open-dataflow's own virtual environment; one ``APILLMServing_request`` with
``max_workers=C``; its ``FileStorage``, which writes each step's file when the step is done. The
token-length filter gets the embedded model's tokenizer directory (DataFlow's default,
Qwen2.5-0.5B-Instruct, would be downloaded). Prints one JSON line.

    DF_API_KEY=x python bench/b12_dataflow.py IN.jsonl CACHE_DIR BASE_URL C TOKENIZER_DIR
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

# The venv's torchvision/torchaudio wheels may not match its torch, and importing
# dataflow.serving pulls them in through transformers; this text-only run needs neither.
for _module in ("torchvision", "torchaudio", "torchcodec"):
    sys.modules[_module] = None  # type: ignore[assignment]

from dataflow.operators.reasoning import (  # noqa: E402
    ReasoningAnswerFormatterFilter,
    ReasoningAnswerGenerator,
    ReasoningAnswerGroundTruthFilter,
    ReasoningAnswerNgramFilter,
    ReasoningAnswerTokenLengthFilter,
    ReasoningQuestionCategorySampleEvaluator,
    ReasoningQuestionDifficultySampleEvaluator,
    ReasoningQuestionFilter,
    ReasoningQuestionGenerator,
)
from dataflow.prompts.reasoning.math import (  # noqa: E402
    MathAnswerGeneratorPrompt,
    MathQuestionFilterPrompt,
    MathQuestionSynthesisPrompt,
)
from dataflow.serving import APILLMServing_request  # noqa: E402
from dataflow.utils.storage import FileStorage  # noqa: E402

STEPS = 11
SYSTEM = (
    "You are an expert in evaluating mathematical problems. Follow the user's instructions "
    "strictly and output your final judgment in the required JSON format."
)


class ReasoningMath:
    def __init__(self, src: str, cache: str, base_url: str, cap: int, tokenizer: str) -> None:
        self.storage = FileStorage(
            first_entry_file_name=src,
            cache_path=cache,
            file_name_prefix="dataflow_cache_step",
            cache_type="jsonl",
        )
        serving = APILLMServing_request(
            api_url=f"{base_url}/chat/completions", model_name="b12", max_workers=cap
        )
        self.steps = [
            (ReasoningQuestionFilter(SYSTEM, serving, MathQuestionFilterPrompt()),
             {"input_key": "instruction"}),
            (ReasoningQuestionGenerator(3, serving, MathQuestionSynthesisPrompt()),
             {"input_key": "instruction"}),
            (ReasoningQuestionFilter(SYSTEM, serving, MathQuestionFilterPrompt()),
             {"input_key": "instruction"}),
            (ReasoningQuestionDifficultySampleEvaluator(serving),
             {"input_key": "instruction", "output_key": "question_difficulty"}),
            (ReasoningQuestionCategorySampleEvaluator(serving),
             {"input_key": "instruction", "output_key": "question_category"}),
            (ReasoningAnswerGenerator(serving, MathAnswerGeneratorPrompt()),
             {"input_key": "instruction", "output_key": "generated_cot"}),
            (ReasoningAnswerFormatterFilter(), {"input_key": "generated_cot"}),
            (ReasoningAnswerTokenLengthFilter(8192, tokenizer), {"input_key": "generated_cot"}),
            (ReasoningAnswerGroundTruthFilter(),
             {"input_test_answer_key": "generated_cot", "input_gt_answer_key": "golden_answer"}),
            (ReasoningAnswerNgramFilter(0.1, 1.0, 5),
             {"input_question_key": "instruction", "input_answer_key": "generated_cot"}),
        ]  # fmt: skip

    def forward(self) -> None:
        for op, keys in self.steps:
            op.run(storage=self.storage.step(), **keys)


def main() -> None:
    src, cache, base_url, cap, tokenizer = sys.argv[1:6]
    pipeline = ReasoningMath(src, cache, base_url, int(cap), tokenizer)
    final = Path(cache) / f"dataflow_cache_step_step{len(pipeline.steps)}.jsonl"
    first: list[float] = []
    done = threading.Event()
    started, cpu_started = time.perf_counter(), time.process_time()

    def watch() -> None:
        while not done.is_set() and not first:
            if final.exists() and final.stat().st_size:
                first.append(time.perf_counter() - started)
            time.sleep(0.005)

    threading.Thread(target=watch, daemon=True).start()
    pipeline.forward()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    time.sleep(0.05)
    done.set()
    rows = [json.loads(line) for line in final.read_text().splitlines() if line.strip()]
    print(
        json.dumps(
            {
                "impl": "open-dataflow",
                "rows_out": len(rows),
                "failed": 0,
                "seconds": seconds,
                "first_row_seconds": first[0] if first else None,
                "cpu_seconds": round(cpu, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
