"""The exception vocabulary of streamflow.

Every error a user can meet derives from :class:`StreamflowError`, so a service embedding a
pipeline can catch one type. Each class names one kind of failure; the message names the file,
line, row or operator involved.
"""

from __future__ import annotations


class StreamflowError(Exception):
    """Base of every error raised by streamflow."""


class CompileError(StreamflowError):
    """The plan is invalid; ``problems`` lists every mistake found, not just the first."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"pipeline does not compile ({len(self.problems)} {noun}):\n{lines}")


class BadRecordError(StreamflowError):
    """A source record could not be read; names the file and the line or row."""

    def __init__(self, path: str, where: str, reason: str) -> None:
        self.path, self.where, self.reason = path, where, reason
        super().__init__(f"{path}: {where}: {reason}")


class SourceError(StreamflowError):
    """An input could not be opened or has an unknown format."""


class UnsafeOutputError(StreamflowError):
    """The output is one of the run's inputs, or would be read back as one: refused before
    anything is opened."""


class SinkError(StreamflowError):
    """An output could not be written (unknown format, or a row that does not fit the file)."""


class OperatorContractError(StreamflowError):
    """An operator's hook broke its kind's contract (wrong result length or type): a bug, fatal."""


class FailureLimitExceeded(StreamflowError):
    """Too large a fraction of rows failed; the run stops instead of dead-lettering everything.

    ``reasons`` holds the commonest failure reasons with their counts, and ``where`` where the
    dead letters are kept (None: in memory only), for the message a user sees.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.reasons: list[tuple[int, str]] = []
        self.where: str | None = None


class RunStopped(StreamflowError):
    """A condition no row is to blame for, under which every later row would fail the same way
    (a server asking every request to wait longer than its deadline): the run stops with the
    reason instead of dead-lettering row after row under a misleading one."""


class PromptTemplateError(StreamflowError):
    """An operator was given a prompt template it does not allow."""


class UnknownOperatorError(StreamflowError, KeyError):
    """No operator is registered under the requested name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown operator"
