"""Perspective operators against a loopback server shaped like Google's comments:analyze: scores,
quota errors (429 RESOURCE_EXHAUSTED, with and without Retry-After, per minute and per day), a
language the attribute does not support (400), server errors (503) and a rejected key (403)."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from streamflow.operators.general_text.perspective import (
    PerspectiveFilter,
    PerspectiveSampleEvaluator,
)
from streamflow.serving.base import ServingStartError
from streamflow.serving.perspective import MAX_TEXT_BYTES, PerspectiveAPIServing, truncated
from streamflow.testing import apply

KEY = "test-key-123"


@dataclass
class FakePerspective:
    """Scores a text as (count of "awful") / 4, capped at 1; markers in the text script errors."""

    url: str = ""
    requests: list[tuple[float, str]] = field(default_factory=list)
    failures_left: dict[str, int] = field(default_factory=dict)

    async def analyze(self, request: web.Request) -> web.Response:
        if request.query.get("key") != KEY:
            return _google_error(403, "PERMISSION_DENIED", "API key not valid.")
        body = await request.json()
        text = body["comment"]["text"]
        assert body["requestedAttributes"] == {"TOXICITY": {}}
        self.requests.append((time.monotonic(), text))
        for marker, status, reason, message, headers in (
            (
                "[429]",
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Analysis requests' and limit 'Analysis requests "
                "per minute'",
                {"Retry-After": "1"},
            ),
            ("[429-no-header]", 429, "RESOURCE_EXHAUSTED", "Quota exceeded per minute", {}),
            ("[503]", 503, "UNAVAILABLE", "The service is currently unavailable.", {}),
        ):
            if marker in text and self.failures_left.setdefault(text, 1) > 0:
                self.failures_left[text] -= 1
                return _google_error(status, reason, message, headers)
        if "[daily]" in text:
            return _google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Analysis requests' and limit 'Analysis "
                "requests per day' of service 'commentanalyzer.googleapis.com'",
            )
        if "[klingon]" in text:
            return _google_error(
                400,
                "INVALID_ARGUMENT",
                "Attribute TOXICITY does not support request languages: tlh",
            )
        value = min(1.0, text.count("awful") / 4)
        return web.json_response({
            "attributeScores": {"TOXICITY": {
                "spanScores": [{"begin": 0, "end": len(text),
                                "score": {"value": value, "type": "PROBABILITY"}}],
                "summaryScore": {"value": value, "type": "PROBABILITY"},
            }},
            "languages": ["en"],
            "detectedLanguages": ["en"],
        })  # fmt: skip


def _google_error(
    code: int, status: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    payload = {"error": {"code": code, "message": message, "status": status}}
    return web.Response(
        status=code, text=json.dumps(payload), content_type="application/json", headers=headers
    )


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePerspective]:
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    fake = FakePerspective()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/v1alpha1/comments:analyze", fake.analyze)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    fake.url = f"http://127.0.0.1:{port}/v1alpha1"
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield fake
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.run_until_complete(runner.cleanup())
    loop.close()


def serving(fake: FakePerspective, **kw: Any) -> PerspectiveAPIServing:
    return PerspectiveAPIServing(base_url=fake.url, backoff=0.05, max_backoff=0.2, **kw)


def test_scores_are_written(server: FakePerspective) -> None:
    op = PerspectiveSampleEvaluator(serving=serving(server))
    rows = [{"text": "a kind remark"}, {"text": "awful awful words"}]
    out = apply(op, rows, input_key="text")
    assert [r["PerspectiveScore"] for r in out.batch.rows] == [0.0, 0.5]


def test_429_with_retry_after_pauses_every_request(server: FakePerspective) -> None:
    op = PerspectiveSampleEvaluator(serving=serving(server, max_workers=1))
    rows = [{"text": "first [429]"}, {"text": "second"}, {"text": "awful third"}]
    out = apply(op, rows, input_key="text")
    assert [r["PerspectiveScore"] for r in out.batch.rows] == [0.0, 0.0, 0.25]
    times = {text: t for t, text in server.requests}
    first_429 = min(t for t, text in server.requests if text == "first [429]")
    # every request after the 429 waited out its Retry-After (1 s)
    later = [t for t, text in server.requests if t > first_429]
    assert later and all(t - first_429 >= 1.0 for t in later)
    assert times["second"] >= first_429 + 1.0


def test_quota_without_retry_after_and_server_errors_are_retried(server: FakePerspective) -> None:
    op = PerspectiveSampleEvaluator(serving=serving(server))
    rows = [{"text": "x [429-no-header]"}, {"text": "y [503] awful"}]
    out = apply(op, rows, input_key="text")
    assert [r["PerspectiveScore"] for r in out.batch.rows] == [0.0, 0.25]
    assert sum(1 for _, text in server.requests if text == "y [503] awful") == 2


def test_failures_become_dead_letters(server: FakePerspective) -> None:
    op = PerspectiveSampleEvaluator(serving=serving(server))
    rows = [{"text": "fine"}, {"text": "[klingon] text"}, {"text": "[daily] text"}]
    out = apply(op, rows, input_key="text")
    assert out.batch.ids == ["row:0"]
    reasons = {row_id: reason for row_id, _, reason in out.failed}
    assert reasons["row:1"].startswith("HTTP 400: Attribute TOXICITY does not support")
    assert reasons["row:2"] == "quota exceeded (daily)"


def test_retries_run_out(server: FakePerspective) -> None:
    server.failures_left["always [503]"] = 100
    op = PerspectiveSampleEvaluator(serving=serving(server, max_retries=2))
    out = apply(op, [{"text": "always [503]"}], input_key="text")
    assert out.failed[0][2].startswith("gave up after 3 attempts: HTTP 503 UNAVAILABLE")


def test_filter_keeps_the_range(server: FakePerspective) -> None:
    op = PerspectiveFilter(max_score=0.3, serving=serving(server))
    rows = [{"text": "calm"}, {"text": "awful awful awful"}, {"text": "[klingon]"}]
    out = apply(op, rows, input_key="text", output_key="tox")
    assert out.batch.ids == ["row:0"] and out.batch.rows[0]["tox"] == 0.0
    assert out.dropped[0].reason == "toxicity 0.750 outside [0.0, 0.3]"
    assert [row_id for row_id, _, _ in out.failed] == ["row:2"]


def test_rejected_or_missing_key_stops(
    server: FakePerspective, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "wrong")
    op = PerspectiveSampleEvaluator(serving=serving(server))
    with pytest.raises(ServingStartError, match="HTTP 403"):
        apply(op, [{"text": "hello"}], input_key="text")
    monkeypatch.delenv("GOOGLE_API_KEY")
    with pytest.raises(ServingStartError, match="GOOGLE_API_KEY"):
        apply(op, [{"text": "hello"}], input_key="text")


def test_dataflow_entry_and_truncation(server: FakePerspective) -> None:
    scores = serving(server).generate_from_input(["awful", "[klingon]"])
    assert scores[0] == 0.25 and math.isnan(scores[1])
    long = "é" * MAX_TEXT_BYTES  # 2 bytes each
    assert len(truncated(long).encode()) == MAX_TEXT_BYTES
    serving(server).generate_from_input([long])
    assert len(server.requests[-1][1].encode()) <= MAX_TEXT_BYTES
