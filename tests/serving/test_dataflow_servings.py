"""DataFlow's serving classes: DataFlow's parameters reach our backends with DataFlow's meaning,
checked at a loopback server (what it received), and ``generate_from_input`` works the three
ways DataFlow code and ours call it."""

from __future__ import annotations

from urllib.parse import urlsplit

import anyio
import anyio.from_thread
import pytest
from fault_server import FaultServer

from streamflow.serving import (
    APILLMServing_request,
    APIVLMServing_openai,
    LocalHostLLMAPIServing_vllm,
    LocalModelLLMServing_sglang,
    LocalModelLLMServing_vllm,
    OpenAIServing,
    ServingStartError,
)


def request_serving(server: FaultServer, **options: object) -> APILLMServing_request:
    return APILLMServing_request(
        api_url=f"{server.base_url}/chat/completions",  # DataFlow's full endpoint
        model_name="fault-model",
        **{"max_workers": 2, "max_retries": 2, **options},  # type: ignore[arg-type]
    )


async def test_api_serving_takes_dataflows_url_key_and_configs(monkeypatch):
    monkeypatch.setenv("DF_API_KEY", "secret")
    server = FaultServer({"b": ["500", "ok"]}, api_key="secret")
    async with server, request_serving(server, max_tokens=9, temperature=0.3) as llm:
        answers = await llm.generate_from_input(["a", "b", "c"], system_prompt="be brief")
    assert answers == ["answer: a", "answer: b", "answer: c"]
    assert len(server.of("b")) == 2  # retried once
    body = server.bodies[0]
    assert body["max_tokens"] == 9 and body["temperature"] == 0.3
    assert body["messages"][0] == {"role": "system", "content": "be brief"}
    assert server.peak_in_flight <= 2


async def test_the_api_key_comes_from_key_name_of_api_key(monkeypatch):
    monkeypatch.delenv("DF_API_KEY", raising=False)
    monkeypatch.setenv("MY_KEY", "secret")
    async with FaultServer(api_key="secret") as server:
        async with request_serving(server, key_name_of_api_key="MY_KEY") as llm:
            assert await llm.generate_from_input(["x"]) == ["answer: x"]
        with pytest.raises(ServingStartError):
            async with request_serving(server):  # DF_API_KEY unset: the server refuses
                pass


def test_api_serving_hedges_unless_told_not_to():
    assert APILLMServing_request()._hedger is not None
    assert APILLMServing_request(hedging=None)._hedger is None


def test_configs_it_cannot_apply_are_refused_by_name():
    with pytest.raises(TypeError, match="'max_token'"):
        APILLMServing_request(max_token=5)


def test_generate_from_input_called_from_plain_code_returns_the_answers():
    with anyio.from_thread.start_blocking_portal() as portal:
        server = portal.wrap_async_context_manager(FaultServer(latency=0.01))
        with server as running:
            llm = request_serving(running)
            answers = llm.generate_from_input([f"q{i}" for i in range(5)])
            assert answers == [f"answer: q{i}" for i in range(5)]
            assert not llm.started  # started for the call, closed after it


async def test_generate_from_input_from_a_worker_thread_runs_on_the_pipelines_loop():
    async with FaultServer() as server, request_serving(server) as llm:
        answers = await anyio.to_thread.run_sync(llm.generate_from_input, ["p", "q"])
        assert answers == ["answer: p", "answer: q"]
        assert llm.started  # the pipeline's serving, left as it was


async def test_a_server_streamflow_does_not_start_is_named_with_its_command():
    llm = LocalHostLLMAPIServing_vllm("org/model", vllm_server_port=9, max_workers=1)
    with pytest.raises(ServingStartError, match="start the server first: vllm serve org/model"):
        async with llm:
            pass
    sglang = LocalModelLLMServing_sglang("org/model", sgl_port=9)
    assert sglang.base_url == "http://127.0.0.1:9/v1" and "sglang.launch_server" in sglang.launch


def test_vllm_parameters_map_onto_the_engine_and_sampling():
    llm = LocalModelLLMServing_vllm(
        "/models/m", vllm_temperature=0.2, vllm_top_p=0.8, vllm_max_tokens=64, vllm_seed=3
    )
    assert llm.model == "/models/m"
    assert (llm.params.temperature, llm.params.top_p, llm.params.max_tokens) == (0.2, 0.8, 64)
    assert llm.params.seed == 3


def test_the_vlm_serving_takes_a_base_url():
    vlm = APIVLMServing_openai(api_url="http://127.0.0.1:9/v1", model_name="vlm", max_workers=3)
    assert isinstance(vlm, OpenAIServing)
    assert vlm.base_url == "http://127.0.0.1:9/v1" and vlm.max_in_flight == 3


@pytest.mark.slow
def test_localhost_vllm_serving_talks_to_vllm_serve(vllm_server: str):
    url = urlsplit(vllm_server)
    llm = LocalHostLLMAPIServing_vllm(
        "SmolLM2", vllm_server_host=url.hostname, vllm_server_port=url.port, vllm_max_tokens=8
    )
    answers = llm.generate_from_input(["Say hello.", "Name a colour."])
    assert len(answers) == 2 and all(isinstance(a, str) and a for a in answers)
