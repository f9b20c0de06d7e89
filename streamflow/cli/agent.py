"""``streamflow agent "REQUEST"``: a request and a sample of the data -> a verified pipeline file.

Progress is printed per node on stderr; the report (steps and why, repairs, the sample output,
cost, what could not be satisfied) follows. Exit status: 0 a pipeline was written that compiled
and ran on the sample with the output checks met; 1 the agent refused the request or could not
make a pipeline pass its trial (no file is written unless ``--keep-failed``); 2 bad usage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer

from streamflow.cli.common import err, fail, out
from streamflow.errors import StreamflowError

__all__ = ["agent"]


def _read_sample(path: Path, rows: int) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        fail(f"--data {path}: {exc.strerror or exc}", 2)
    sample = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            fail(f"--data {path}, line {n}: not JSON ({exc})", 2)
        if not isinstance(row, dict):
            fail(f"--data {path}, line {n}: a record must be a JSON object", 2)
        sample.append(row)
        if len(sample) >= rows:
            break
    return sample


def agent(
    request: Annotated[str, typer.Argument(help="What the pipeline should do, in plain words.")],
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="Sample of your data (JSONL).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Model: a local model directory for the embedded engine, or the "
            "served model's name with --base-url (default: the embedded SmolLM2)."
        ),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="An OpenAI-compatible server (vllm serve, OpenAI...).")
    ] = None,
    out_file: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the pipeline file.")
    ] = Path("agent_pipeline.py"),
    max_rounds: Annotated[int, typer.Option(min=0, help="Repair rounds after a trial.")] = 2,
    rows: Annotated[int, typer.Option(min=1, help="Sample rows the trial runs on.")] = 5,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds the trial may take.")] = 300,
    databases: Annotated[
        str | None, typer.Option(help="Databases the SQL steps query (folder, file or URL).")
    ] = None,
    require_field: Annotated[
        list[str] | None, typer.Option(help="A field every output row must carry.")
    ] = None,
    retrieval: Annotated[str, typer.Option(help="hybrid (BM25 + vectors) or bm25.")] = "hybrid",
    synthesis: Annotated[
        bool,
        typer.Option(
            help="Let the model write an operator class for a step nothing else does (checked, "
            "and tried only in the sandbox)."
        ),
    ] = True,
    keep_failed: Annotated[
        bool, typer.Option(help="Write the file even when its trial failed (for inspection).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON on stdout.")] = False,
) -> None:
    """Build a pipeline from a plain-language request, verified on a sample of your data."""
    from streamflow.agent import AgentOptions, PipelineAgent
    from streamflow.serving.base import SamplingParams

    if retrieval not in ("hybrid", "bm25"):
        fail("--retrieval must be hybrid or bm25", 2)
    sample = _read_sample(data, rows) if data is not None else []
    params = SamplingParams(temperature=0.0, max_tokens=384)
    if base_url:
        from streamflow.serving.openai_compat import OpenAIServing

        serving: Any = OpenAIServing(model, base_url, params=params)
    else:
        from streamflow.serving.vllm_backend import VLLMServing

        serving = VLLMServing(model, params=params, max_model_len=2048)
    options = AgentOptions(
        max_rounds=max_rounds,
        trial_rows=rows,
        trial_timeout=timeout,
        retrieval=retrieval,
        required_fields=tuple(require_field or ()),
        data_file=str(data.resolve()) if data is not None else None,
        output_file=f"{out_file.stem}_output.jsonl",
        databases=databases,
        synthesis=synthesis,
    )

    def progress(node: str, message: str) -> None:
        err.print(f"[cyan]{node}[/]: {message[:300]}", highlight=False)

    async def go() -> Any:
        async with serving:
            return await PipelineAgent(serving, options, progress=progress).run(request, sample)

    try:
        report = anyio.run(go)
    except StreamflowError as exc:
        fail(str(exc), 2)
    if report.source and (report.ok or keep_failed):
        out_file.write_text(report.source, encoding="utf-8")
        report.path = str(out_file)
    if as_json:
        print(json.dumps(report.as_dict(), default=str))
    else:
        out.print(report.text(), highlight=False, markup=False)
    if not report.ok:
        raise typer.Exit(1)
