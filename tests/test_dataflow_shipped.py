"""DataFlow's own shipped pipelines, as its wheel ships them, through ``streamflow migrate
--write`` and then ``compile()``: every operator name, constructor, ``run()`` key and storage
call they make is checked against ours, on DataFlow's own example data.

Nothing of DataFlow's is kept in this repository: the test downloads open-dataflow's wheel from
the package index (it is skipped, saying why, where the index cannot be reached) and lays its
pipelines and example data out as ``dataflow init`` does. Each file that does not compile is
listed below with why; the README's "Coming from DataFlow" section gives the same list.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import run_python, run_streamflow

VERSION = "1.0.13"

UNMAPPED = {
    # newer than DataFlow's 197-operator catalogue, which is what streamflow implements
    "api_pipelines/agentic_rag_multihop_core_pipeline.py": {
        "AtomicQAGeneratorPrompt",
        "ComparisonCheckPrompt",
        "ComparisonReasoningPrompt",
        "EssEqPrompt",
        "FlashRAGServing",
        "InferenceCheckPrompt",
        "MergeAtomicQAPrompt",
        "MoreOptionalAnswersPrompt",
        "MultihopComparisonPrompt",
        "MultihopInferencePrompt",
        "ReasoningPrompt",
        "RefineAnswerPrompt",
        "SingleHopPrompt",
    },
    "api_pipelines/text2vecsql_pipeline_gen.py": {
        "SelectVecSQLGeneratorPrompt",
        "Text2VecSQLPromptGeneratorPrompt",
        "Text2VecSQLQuestionGeneratorPrompt",
    },
    # an audio LM on vLLM; our Speech2TextGenerator takes a transcription endpoint instead
    "gpu_pipelines/speechtranscription_pipeline.py": {"LocalModelLALMServing_vllm"},
    # an operator of an earlier DataFlow release, gone from the catalogue
    "gpu_pipelines/text2sql_pipeline_refine.py": {
        "SQLConsistencyFilter",
        "SQLConsistencyFilterPrompt",
    },
}

REFUSED = {
    **{path: "No module named 'dataflow'" for path in UNMAPPED},  # what stayed DataFlow's
    # DataFlow's example data lacks the field its own pipeline reads: found at compile time
    "api_pipelines/core_text_bencheval_semantic_pipeline_question.py": (
        "input key 'instruction' is not produced"
    ),
    "api_pipelines/reasoning_math_pipeline_mathfusion.py": "input key 'question' is not produced",
    # DataFlow's own classes reject these arguments too (a pipeline older than its operators)
    "gpu_pipelines/core_text_bencheval_match_pipeline.py": "unknown key input_question_key",
    "gpu_pipelines/reasoning_math_pipeline.py": "unexpected keyword argument 'llm_serving'",
    "gpu_pipelines/text2sql_pipeline_gen.py": "unexpected keyword argument 'max_retries'",
    # a deliberate difference: a generated field never silently replaces an input field
    "api_pipelines/text2sql_pipeline_refine.py": "output key 'question' would overwrite",
    # this machine: models are not downloaded at run time, and MinerU's flash engine is absent
    "api_pipelines/kbcleaning_pipeline.py": "models are not downloaded at run time",
    "cpu_pipelines/kbcleaning_pipeline_url.py": "models are not downloaded at run time",
    "api_pipelines/pdf_vqa_extract_pipeline.py": "flash_mineru",
    "gpu_pipelines/kbcleaning/kbcleaning_pipeline_sglang.py": "flash_mineru",
    "gpu_pipelines/kbcleaning/kbcleaning_pipeline_vllm.py": "flash_mineru",
}

COMPILE_EACH = """
import importlib.util, inspect, json, os, sys
from pathlib import Path
from streamflow import Pipeline

root = Path(sys.argv[1])
for path in sorted(root.rglob("*.py")):
    name = path.relative_to(root).as_posix()
    if path.name == "__init__.py" or name.startswith("example_data/"):
        continue
    os.chdir(root / path.relative_to(root).parts[0])  # DataFlow runs them from their folder
    spec = importlib.util.spec_from_file_location("shipped_" + path.stem, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        classes = [
            c for c in vars(module).values()
            if isinstance(c, type) and issubclass(c, Pipeline) and c.__module__ == module.__name__
        ]
        assert classes, "no pipeline class"
        for cls in classes:
            takes_db = "db_root_path" in inspect.signature(cls.__init__).parameters
            (cls(db_root_path=os.environ["SHIPPED_DBS"]) if takes_db else cls()).compile()
        print(json.dumps({"file": name, "error": None}))
    except BaseException as exc:
        print(json.dumps({"file": name, "error": f"{type(exc).__name__}: {exc}"}))
"""


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DataFlow's pipelines and example data, laid out as ``dataflow init`` lays them out."""
    wheels = tmp_path_factory.mktemp("wheel")
    download = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    done = subprocess.run(
        [*download, f"open-dataflow=={VERSION}", "-d", str(wheels), "-q"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    found = sorted(wheels.glob("open_dataflow-*.whl"))
    if done.returncode or not found:
        pytest.skip(
            f"open-dataflow {VERSION} could not be downloaded from the package index: "
            f"{done.stderr.strip()[-300:]}"
        )
    tree = tmp_path_factory.mktemp("dataflow")
    layout = {"dataflow/statics/pipelines/": tree, "dataflow/example/": tree / "example_data"}
    with zipfile.ZipFile(found[0]) as wheel:
        for member in wheel.namelist():
            for prefix, home in layout.items():
                if member.startswith(prefix) and not member.endswith("/"):
                    target = home / member[len(prefix) :]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(wheel.read(member))
    return tree


@pytest.fixture(scope="module")
def migrated(shipped: Path) -> str:
    done = run_streamflow("migrate", str(shipped), "--write", cwd=shipped)
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout + done.stderr


def test_migrate_maps_every_name_dataflow_ships_but_those_listed(
    shipped: Path, migrated: str
) -> None:
    unmapped: dict[str, set[str]] = {}
    for path, name in re.findall(r"not migrated: (\S+?):\d+: \w+ (\w+) \(", migrated):
        unmapped.setdefault(Path(path).relative_to(shipped).as_posix(), set()).add(name)
    assert unmapped == UNMAPPED
    assert "has no counterpart" not in migrated  # every DataFlow module it imports is mapped


def test_migrated_pipelines_compile_on_dataflows_own_example_data(
    shipped: Path, migrated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    databases = tmp_path / "databases" / "shop"
    databases.mkdir(parents=True)
    with sqlite3.connect(databases / "shop.sqlite") as db:
        db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, price REAL)")
    monkeypatch.setenv("SHIPPED_DBS", str(databases.parent))
    monkeypatch.setenv("MINERU_API_KEY", "placeholder")  # the API converter wants one when built
    done = run_python("-c", COMPILE_EACH, str(shipped), cwd=tmp_path)
    lines = [line for line in done.stdout.splitlines() if line.startswith('{"file"')]
    outcomes = {r["file"]: r["error"] for r in map(json.loads, lines)}
    assert len(outcomes) >= 45, done.stderr[-2000:]
    refused = {name: error for name, error in outcomes.items() if error}
    assert sorted(refused) == sorted(REFUSED), refused
    for name, expected in REFUSED.items():
        assert expected in refused[name], (name, refused[name])


@pytest.mark.parametrize(
    ("pipeline", "data", "key"),
    [
        ("text_pt_filter.py", "GeneralTextPipeline/pt_input.jsonl", "raw_content"),
        ("text_sft_filter.py", "GeneralTextPipeline/sft_input.jsonl", "instruction"),
    ],
)
def test_dataflows_cpu_filter_pipelines_run_as_scripts(
    shipped: Path, migrated: str, pipeline: str, data: str, key: str
) -> None:
    """Run as DataFlow users run them (``python FILE`` in their folder). On DataFlow 1.0.13 the
    same files keep the same rows with the same label columns (README, "Coming from DataFlow")."""
    folder = shipped / "cpu_pipelines"
    done = run_python(pipeline, cwd=folder)
    assert done.returncode == 0, done.stderr[-2000:]
    rows_in = [json.loads(line) for line in (shipped / "example_data" / data).open()]
    out = folder / "cache" / "dataflow_cache_step_output.jsonl"
    rows_out = [json.loads(line) for line in out.open()]
    assert 0 < len(rows_out) < len(rows_in)  # the filters kept some rows and dropped others
    by_key = {row[key]: row for row in rows_in}
    for row in rows_out:
        source = by_key[row[key]]
        labels = {k: v for k, v in row.items() if k not in source}  # DataFlow's label columns
        assert labels and all(v for v in labels.values()), labels  # kept: every label is set
        assert {k: v for k, v in row.items() if k in source} == source
    out.unlink()
