"""DataFlow's ``dataflow.utils`` paths, so that ``sed s/dataflow/streamflow/`` on a DataFlow
pipeline finds what it imports (``streamflow migrate`` rewrites to the direct paths)."""
