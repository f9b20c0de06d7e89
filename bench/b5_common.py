"""B5's workload, shared by the streamflow side and open-dataflow's (which lacks streamflow)."""

from __future__ import annotations

import json
from pathlib import Path

ROWS = 256
TOPICS = [
    "the ocean", "bicycles", "bread baking", "volcanoes", "chess", "honey bees", "the moon",
    "rainforests", "trains", "coffee", "glaciers", "libraries", "jazz", "deserts", "kites",
    "lighthouses",
]  # fmt: skip
STYLES = [
    "Write a short paragraph about {}.",
    "Explain {} to a child.",
    "List three facts about {}.",
    "Describe {} in a few sentences.",
]
ENGINE = {"max_model_len": 1024, "max_num_seqs": 128, "kv_cache_gib": 1.0, "seed": 0}
"""The engine settings of every B5 run (VLLMServing's own defaults on a CPU)."""

THREE_OPS_MAX_TOKENS = 64
THREE_OPS = [  # (user prompt, input key, output key)
    ("Write a short paragraph about this topic: ", "topic", "paragraph"),
    ("Summarise this text in one sentence: ", "paragraph", "summary"),
    ("Give a short title for this text: ", "summary", "title"),
]
SYSTEM_PROMPT = "You are a helpful agent."
"""Both PromptedGenerators' default system prompt."""


def write_rows(path: Path, n: int = ROWS) -> Path:
    """``n`` rows: a chat prompt with its max_tokens (16..128, spread evenly) and a topic."""
    with path.open("w") as f:
        for i in range(n):
            topic = TOPICS[(i // len(STYLES)) % len(TOPICS)]
            row = {
                "prompt": f"{STYLES[i % len(STYLES)].format(topic)} (#{i})",
                "max_tokens": 16 + (i * 47) % 113,
                "topic": f"{topic} (#{i})",
            }
            f.write(json.dumps(row) + "\n")
    return path


def default_model_dir() -> Path:
    return Path.home() / ".cache" / "streamflow" / "models" / "SmolLM2-135M-Instruct"
