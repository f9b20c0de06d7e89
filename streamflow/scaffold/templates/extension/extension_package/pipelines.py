"""Pipelines of extension-package.

Each is declared in pyproject.toml under "streamflow.pipelines". Run one by its entry-point name
once installed (``streamflow run ExtensionPackagePipeline``) or by file (``streamflow run
extension_package/pipelines.py:ExtensionPackagePipeline``); ``--input`` and ``--output`` point
it elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from streamflow import FileStorage, Pipeline

from extension_package.operators import ExtensionPackageWordCounter

DATA = Path(__file__).parent / "data"


class ExtensionPackagePipeline(Pipeline):
    """Counts the words of each text of the sample shipped with the package."""

    def __init__(self) -> None:
        self.storage = FileStorage(
            str(DATA / "sample.jsonl"),
            output_file="extension_package_output.jsonl",
        )
        self.count = ExtensionPackageWordCounter()

    def forward(self) -> None:
        self.count.run(self.storage.step(), input_key="text", output_key="word_count")


if __name__ == "__main__":
    ExtensionPackagePipeline().run()
