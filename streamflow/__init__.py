"""streamflow: streaming, resumable LLM data-preparation pipelines.

DataFlow's operators, pipelines and serving API, rebuilt as async actors over bounded
channels. The public API is re-exported here.
"""

from streamflow.actors.base import (
    DatasetEvaluator,
    DatasetTransformer,
    Filter,
    Generator,
    Operator,
    OperatorKind,
    Refiner,
    RowGenerator,
    SampleEvaluator,
)
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
from streamflow.executors import Executor, Job, LocalExecutor, RunOptions, RunResult
from streamflow.io.sinks import open_sink
from streamflow.io.sources import FileSource
from streamflow.operators.registry import OPERATORS, OperatorInfo, register_operator
from streamflow.pipeline import CompileWarning, Pipeline
from streamflow.plan import Plan, Step
from streamflow.rows import Barrier, Batch, Failure, Row, row_ids
from streamflow.session import Result, Session
from streamflow.storage import FileStorage
from streamflow.store.deadletters import DeadLetter, Dropped
from streamflow.store.rundir import ResumeNotice, RunDirectoryError
from streamflow.store.runstore import StoreFullError
from streamflow.store.state import OperatorState
from streamflow.utils.logger import get_logger

__all__ = [
    "OPERATORS",
    "BadRecordError",
    "Barrier",
    "Batch",
    "CompileError",
    "CompileWarning",
    "DatasetEvaluator",
    "DatasetTransformer",
    "DeadLetter",
    "Dropped",
    "Executor",
    "Failure",
    "FailureLimitExceeded",
    "FileSource",
    "FileStorage",
    "Filter",
    "Generator",
    "Job",
    "LocalExecutor",
    "Operator",
    "OperatorContractError",
    "OperatorInfo",
    "OperatorKind",
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
    "get_logger",
    "open_sink",
    "register_operator",
    "row_ids",
]
