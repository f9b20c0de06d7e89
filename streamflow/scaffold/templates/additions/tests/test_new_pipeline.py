import json
from pathlib import Path

import pytest

from added_package.pipelines import NewPipeline


def test_new_pipeline(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    NewPipeline().run(output=output)
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert rows
    pytest.fail("implement NewPipeline and replace this test")
