"""streamflow: streaming, resumable LLM data-preparation pipelines.

DataFlow's operators, pipelines and serving API, rebuilt as async actors over bounded
channels. The public API is re-exported here.
"""

from streamflow.actors.base import (
    DatasetEvaluator,
    Filter,
    Generator,
    Operator,
    Refiner,
    RowGenerator,
    SampleEvaluator,
)
from streamflow.actors.registry import OPERATORS, OperatorInfo, register_operator
from streamflow.channels.stats import OperatorStats, RunStats
from streamflow.errors import (
    BadRecordError,
    CompileError,
    FailureLimitExceeded,
    OperatorContractError,
    PromptTemplateError,
    SinkError,
    SourceError,
    StreamflowError,
    UnknownOperatorError,
)
from streamflow.pipeline import CompileWarning, Pipeline
from streamflow.plan import Plan, Step
from streamflow.rows import Batch, Failure, Row
from streamflow.runtime import RunOptions, RunResult
from streamflow.session import Result, Session
from streamflow.store.deadletters import DeadLetter, Dropped
from streamflow.store.sinks import open_sink
from streamflow.store.sources import FileSource
from streamflow.store.storage import FileStorage

__all__ = [
    "OPERATORS",
    "BadRecordError",
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
    "Operator",
    "OperatorContractError",
    "OperatorInfo",
    "OperatorStats",
    "Pipeline",
    "Plan",
    "PromptTemplateError",
    "Refiner",
    "Result",
    "Row",
    "RowGenerator",
    "RunOptions",
    "RunResult",
    "RunStats",
    "SampleEvaluator",
    "Session",
    "SinkError",
    "SourceError",
    "Step",
    "StreamflowError",
    "UnknownOperatorError",
    "open_sink",
    "register_operator",
]
