"""Every name importable before issue 10's layout is importable still, from the same path:
moved modules left thin aliases behind, and the facade keeps DESIGN.md's public names.

The table lists, per module that moved, split or shrank, the public names it defined then."""

from __future__ import annotations

import importlib
import inspect

import pytest

BEFORE: dict[str, tuple[str, ...]] = {
    "streamflow": (
        "BadRecordError",
        "Barrier",
        "Batch",
        "CompileError",
        "CompileWarning",
        "DatasetEvaluator",
        "DeadLetter",
        "Dropped",
        "Failure",
        "FailureLimitExceeded",
        "FileSource",
        "FileStorage",
        "Filter",
        "Generator",
        "OPERATORS",
        "Operator",
        "OperatorContractError",
        "OperatorInfo",
        "OperatorState",
        "OperatorStats",
        "Pipeline",
        "Plan",
        "PromptTemplateError",
        "Refiner",
        "Result",
        "ResumeNotice",
        "Row",
        "RowGenerator",
        "RunDirectoryError",
        "RunOptions",
        "RunResult",
        "RunStats",
        "SampleEvaluator",
        "Session",
        "SinkError",
        "SourceError",
        "Step",
        "StoreFullError",
        "StreamflowError",
        "UnknownOperatorError",
        "open_sink",
        "register_operator",
        "row_ids",
    ),
    "streamflow.store.sources": (
        "BadRecord",
        "EXTENSIONS",
        "FORMATS",
        "FileSource",
        "OnBadRecord",
        "Record",
        "decode_html",
        "format_of",
    ),
    "streamflow.store.sinks": (
        "CsvSink",
        "EXTENSIONS",
        "JsonlSink",
        "ParquetSink",
        "Sink",
        "open_appending",
        "open_sink",
        "supports_append",
    ),
    "streamflow.store.warc": (
        "HTML_TYPES",
        "warc_records",
    ),
    "streamflow.store.compression": (
        "COMPRESSIONS",
        "bare_name",
        "is_compressed",
        "open_binary",
    ),
    "streamflow.store.storage": (
        "FileStorage",
        "StorageStep",
    ),
    "streamflow.store.rundir": (
        "Checkpoint",
        "ResumeNotice",
        "RunDirectory",
        "RunDirectoryError",
        "describe",
        "requeue_dead_letters",
        "stable_repr",
        "step_fingerprints",
    ),
    "streamflow.runtime": (
        "Consumer",
        "Monitor",
        "Producer",
        "RunOptions",
        "RunResult",
        "execute",
        "root_cause",
    ),
    "streamflow.actors.endpoints": (
        "Position",
        "file_consumer",
        "file_producer",
        "replay_producer",
    ),
    "streamflow.actors.actor": (
        "Actor",
        "BoundOp",
        "FailurePolicy",
        "Item",
        "ItemReceive",
        "ItemSend",
        "Recorder",
        "StoredResults",
        "stages",
    ),
    "streamflow.actors.base": (
        "DatasetEvaluator",
        "ExecutorKind",
        "Filter",
        "Generator",
        "KINDS",
        "Operator",
        "REQUIRED",
        "Refiner",
        "RowGenerator",
        "SampleEvaluator",
        "accepts_any_key",
        "hook_parameters",
    ),
    "streamflow.cli": (
        "CacheDirOption",
        "Kind",
        "PackageOption",
        "app",
        "deadletters",
        "env",
        "err",
        "init_app",
        "init_extension",
        "init_operator",
        "init_pipeline",
        "init_prompt",
        "main",
        "models_app",
        "models_list",
        "models_prepare",
        "ops_app",
        "ops_list",
        "ops_show",
        "out",
        "pipelines_app",
        "pipelines_copy",
        "pipelines_list",
        "prompts_app",
        "prompts_list",
        "run",
        "status",
    ),
    "streamflow.scaffold": (
        "Extension",
        "KIND_BASES",
        "OPERATOR_GROUP",
        "PIPELINE_GROUP",
        "PROMPT_GROUP",
        "SAMPLE_ROWS",
        "ScaffoldError",
        "add_entry_point",
        "add_operator",
        "add_pipeline",
        "add_prompt",
        "camel",
        "check_class_name",
        "check_dist_name",
        "create_extension",
        "import_name",
        "open_extension",
        "snake",
    ),
    "streamflow.pipeline": (
        "CompileWarning",
        "Pipeline",
    ),
    "streamflow.session": (
        "Result",
        "Session",
        "open_session",
    ),
    "streamflow.channels": (
        "OperatorStats",
        "RunStats",
    ),
    "streamflow.channels.stats": (
        "OperatorStats",
        "RunStats",
        "current_stats",
    ),
    "streamflow.serving.base": (
        "Completion",
        "LLMRequestError",
        "LLMServing",
        "Message",
        "SamplingParams",
        "ServingStartError",
        "Usage",
        "servings_started",
    ),
    "streamflow.plan": (
        "Call",
        "Plan",
        "SOURCE",
        "Step",
        "compile_plan",
    ),
}

MOVED = {
    "streamflow.store.sources": "streamflow.io.sources",
    "streamflow.store.sinks": "streamflow.io.sinks",
    "streamflow.store.warc": "streamflow.io.warc",
    "streamflow.store.compression": "streamflow.io.compression",
    "streamflow.store.storage": "streamflow.storage",
    "streamflow.actors.endpoints": "streamflow.executors.endpoints",
}

DESIGN_NAMES = (
    "Pipeline",
    "FileStorage",
    "Generator",
    "RowGenerator",
    "Refiner",
    "Filter",
    "SampleEvaluator",
    "DatasetEvaluator",
)


@pytest.mark.parametrize("module", sorted(BEFORE))
def test_every_old_name_still_imports(module: str) -> None:
    imported = importlib.import_module(module)
    # a name may not have become a submodule either (``streamflow.cli.run`` is a function)
    missing = [
        n
        for n in BEFORE[module]
        if not hasattr(imported, n) or inspect.ismodule(getattr(imported, n))
    ]
    assert not missing, f"{module} lost {missing}"


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_alias_gives_the_moved_objects_themselves(old: str, new: str) -> None:
    moved = importlib.import_module(new)
    for name in BEFORE.get(old, ()):
        assert getattr(importlib.import_module(old), name) is getattr(moved, name), name


def test_the_facade_keeps_designs_names_and_everything_it_exported() -> None:
    import streamflow

    assert set(DESIGN_NAMES) <= set(streamflow.__all__)
    assert set(BEFORE["streamflow"]) <= set(streamflow.__all__)
    for name in streamflow.__all__:
        assert getattr(streamflow, name) is not None


def test_old_fingerprint_helpers_are_the_plans() -> None:
    from streamflow import plan
    from streamflow.store import rundir

    assert rundir.step_fingerprints is plan.step_fingerprints
    assert rundir.describe is plan.describe_operator
    with pytest.raises(AttributeError):
        rundir.no_such_name  # noqa: B018
