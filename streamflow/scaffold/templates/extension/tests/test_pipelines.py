import json
from pathlib import Path

from extension_package.pipelines import ExtensionPackagePipeline


def test_counts_the_words_of_the_sample(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    result = ExtensionPackagePipeline().run(output=output)
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert result.rows_written == len(rows) == 4
    assert [row["word_count"] for row in rows] == [6, 6, 4, 2]
