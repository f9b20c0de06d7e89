"""The operator kinds as one enum."""

from __future__ import annotations

import json

import msgspec

from streamflow import (
    DatasetEvaluator,
    Filter,
    Generator,
    OperatorKind,
    Refiner,
    RowGenerator,
    SampleEvaluator,
)
from streamflow.actors.base import KIND_CLASSES, KINDS


def test_one_kind_per_base_class_and_members_equal_their_strings() -> None:
    assert set(KIND_CLASSES) == set(OperatorKind)
    assert all(cls.kind is kind for kind, cls in KIND_CLASSES.items())
    assert (Generator, RowGenerator, Refiner, Filter, SampleEvaluator, DatasetEvaluator) == KINDS
    assert OperatorKind.ROW_GENERATOR == "row_generator" and "filter" in {OperatorKind.FILTER}
    assert json.loads(json.dumps({"kind": Refiner.kind})) == {"kind": "refiner"}
    assert msgspec.json.decode(msgspec.json.encode(SampleEvaluator.kind)) == "sample_evaluator"
    assert OperatorKind("dataset_evaluator") is DatasetEvaluator.kind
