"""DataFlow's ``dataflow.utils.storage``: :class:`~streamflow.storage.FileStorage`."""

from streamflow.storage import FileStorage

__all__ = ["FileStorage"]
