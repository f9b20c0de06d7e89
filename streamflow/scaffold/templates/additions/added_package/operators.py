"""What ``streamflow init operator NAME --kind KIND`` adds to an extension's operators.py: the
class of that kind below, renamed, with the imports it uses."""

from typing import Any

from streamflow import (
    DatasetEvaluator,
    Filter,
    Generator,
    Refiner,
    RowGenerator,
    SampleEvaluator,
)


class NewGenerator(Generator):
    """What NewGenerator does: this first paragraph is its summary in
    `streamflow ops list`."""

    def process(
        self,
        rows: list[dict[str, Any]],
        input_key: str = "text",
        output_key: str = "new_generator",
    ) -> list[dict[str, Any]]:
        return [{**row, output_key: row[input_key]} for row in rows]


class NewRowGenerator(RowGenerator):
    """What NewRowGenerator does: this first paragraph is its summary in
    `streamflow ops list`."""

    def process(
        self, rows: list[dict[str, Any]], input_key: str = "text"
    ) -> list[list[dict[str, Any]]]:
        return [
            [{**row, input_key: line} for line in str(row[input_key]).splitlines() if line]
            for row in rows
        ]


class NewRefiner(Refiner):
    """What NewRefiner does: this first paragraph is its summary in
    `streamflow ops list`."""

    def process(self, rows: list[dict[str, Any]], input_key: str = "text") -> list[dict[str, Any]]:
        return [{**row, input_key: str(row[input_key]).strip()} for row in rows]


class NewFilter(Filter):
    """What NewFilter does: this first paragraph is its summary in
    `streamflow ops list`."""

    def process(
        self, rows: list[dict[str, Any]], input_key: str = "text"
    ) -> list[bool | tuple[bool, str]]:
        return [(bool(str(row[input_key]).strip()), "empty text") for row in rows]


class NewSampleEvaluator(SampleEvaluator):
    """What NewSampleEvaluator does: this first paragraph is its summary in
    `streamflow ops list`."""

    def process(
        self,
        rows: list[dict[str, Any]],
        input_key: str = "text",
        output_key: str = "new_sample_evaluator",
    ) -> list[dict[str, Any]]:
        return [{**row, output_key: float(len(str(row[input_key])))} for row in rows]


class NewDatasetEvaluator(DatasetEvaluator):
    """What NewDatasetEvaluator does: this first paragraph is its summary in
    `streamflow ops list`."""

    def __init__(self) -> None:
        self.rows = 0

    def observe(self, rows: list[dict[str, Any]], input_key: str = "text") -> None:
        self.rows += len(rows)

    def report(self) -> dict[str, Any]:
        return {"rows": self.rows}
