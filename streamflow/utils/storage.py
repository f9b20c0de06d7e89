"""DataFlow's ``dataflow.utils.storage``: :class:`~streamflow.storage.FileStorage`."""

from streamflow.storage import DataFlowStorage, FileStorage

__all__ = ["DataFlowStorage", "FileStorage"]
