"""What ``streamflow init pipeline NAME`` adds to an extension's pipelines.py: this class,
renamed, with the imports it uses."""

from pathlib import Path

from streamflow import FileStorage, Pipeline
from streamflow.operators.general_text import RemoveExtraSpacesRefiner


class NewPipeline(Pipeline):
    """What NewPipeline does; run it with
    `streamflow run added_package/pipelines.py:NewPipeline`."""

    def __init__(self) -> None:
        self.storage = FileStorage(
            str(Path(__file__).parent / "data" / "sample.jsonl"),
            output_file="new_pipeline_output.jsonl",
        )
        self.spaces = RemoveExtraSpacesRefiner()

    def forward(self) -> None:
        self.spaces.run(self.storage.step(), input_key="text")
