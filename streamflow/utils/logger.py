"""DataFlow's ``get_logger()``, which custom operators and pipeline files call.

It returns the ``streamflow.user`` logger (a child of ``streamflow``, so the run's logging setup
applies), with DataFlow's ``success()`` level between INFO and WARNING. The level comes from the
argument, else ``DF_LOGGING_LEVEL`` as in DataFlow, else INFO. Messages go to stderr: stdout
belongs to the run's display and to ``--json`` output.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

__all__ = ["SUCCESS", "get_logger"]

SUCCESS = 25
"""DataFlow's SUCCESS level: a step that finished well, shown above INFO."""

logging.addLevelName(SUCCESS, "SUCCESS")


class _UserLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger with DataFlow's ``success()``; everything else is the standard logger's."""

    def success(self, message: object, *args: Any, **kwargs: Any) -> None:
        self.log(SUCCESS, message, *args, **kwargs)


def get_logger(level: str | int | None = None) -> _UserLogger:
    """The pipeline author's logger, as DataFlow's ``get_logger`` gives it."""
    logger = logging.getLogger("streamflow.user")
    logger.setLevel(level if level is not None else os.environ.get("DF_LOGGING_LEVEL", "INFO"))
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    return _UserLogger(logger, {})
