"""PromptedVQAGenerator against a loopback OpenAI-compatible server: the multimodal request."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from PIL import Image

from streamflow.operators.core_vision.prompted_vqa_generator import PromptedVQAGenerator
from streamflow.serving.openai_compat import OpenAIServing
from streamflow.testing import ScriptedServing, apply


class VisionServer:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.base = ""

    def app(self) -> Any:
        from aiohttp import web

        async def models(request: web.Request) -> web.Response:
            return web.json_response({"data": [{"id": "vlm"}]})

        async def chat(request: web.Request) -> web.Response:
            body = await request.json()
            self.bodies.append(body)
            parts = body["messages"][-1]["content"]
            images = [p for p in parts if p["type"] == "image_url"]
            answer = f"{len(images)} image(s); asked: {parts[0]['text']}"
            return web.json_response(
                {
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": answer},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5},
                }
            )

        app = web.Application()
        app.router.add_get("/v1/models", models)
        app.router.add_post("/v1/chat/completions", chat)
        return app


@pytest_asyncio.fixture(loop_scope="function")
async def server() -> AsyncIterator[VisionServer]:
    from aiohttp import web

    served = VisionServer()
    runner = web.AppRunner(served.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    served.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"  # type: ignore[union-attr]
    try:
        yield served
    finally:
        await runner.cleanup()


async def test_image_and_prompt_go_as_content_parts(server: VisionServer, tmp_path: Path) -> None:
    image = tmp_path / "chart.png"
    Image.new("RGB", (4, 4), "red").save(image)
    serving = OpenAIServing("vlm", server.base)
    op = PromptedVQAGenerator(serving, system_prompt="Describe images.")
    rows = [
        {"raw_content": "What colour is it?", "image": str(image)},
        {"raw_content": "Compare them.", "image": [str(image), "https://example.org/b.png"]},
        {"raw_content": "Where?", "image": str(tmp_path / "missing.png")},
    ]
    out = await op.process(rows)
    await serving.aclose()
    assert out[0]["generated_content"] == "1 image(s); asked: What colour is it?"
    assert out[1]["generated_content"].startswith("2 image(s)")
    assert "cannot read image" in out[2].reason  # type: ignore[union-attr]
    first = next(b for b in server.bodies if len(b["messages"][-1]["content"]) == 2)
    assert first["messages"][0] == {"role": "system", "content": "Describe images."}
    text, picture = first["messages"][1]["content"]
    assert text == {"type": "text", "text": "What colour is it?"}
    prefix = "data:image/png;base64,"
    assert picture["type"] == "image_url" and picture["image_url"]["url"].startswith(prefix)
    assert base64.b64decode(picture["image_url"]["url"][len(prefix) :]) == image.read_bytes()
    second = next(b for b in server.bodies if len(b["messages"][-1]["content"]) == 3)
    assert second["messages"][-1]["content"][2]["image_url"]["url"] == "https://example.org/b.png"


def test_an_answer_cut_off_at_max_tokens_fails_its_row(tmp_path: Path) -> None:
    image = tmp_path / "chart.png"
    Image.new("RGB", (4, 4), "red").save(image)
    serving = ScriptedServing(lambda prompt: "It is red and", cut_off=lambda text: True)
    rows = [{"raw_content": "What colour is it?", "image": str(image)}]
    (failed,) = apply(PromptedVQAGenerator(serving), rows).failed
    assert failed[2].startswith("answer cut off at max_tokens=")
    kept = apply(PromptedVQAGenerator(serving).accept_truncated_answers(), rows)
    assert kept.batch.rows[0]["generated_content"] == "It is red and"
