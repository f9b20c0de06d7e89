"""``streamflow agent``'s command line (the graph itself is tested in tests/agent/)."""

from __future__ import annotations

from typer.testing import CliRunner

from streamflow.cli import app

runner = CliRunner()


def test_agent_is_a_command():
    result = runner.invoke(app, ["agent", "--help"])
    assert result.exit_code == 0
    assert "--data" in result.output and "--max-rounds" in result.output


def test_a_sample_that_is_not_jsonl_names_the_file_and_line(tmp_path):
    data = tmp_path / "sample.jsonl"
    data.write_text('{"text": "ok"}\nnot json\n')
    result = runner.invoke(app, ["agent", "clean the texts", "--data", str(data)])
    assert result.exit_code == 2
    assert "sample.jsonl, line 2" in " ".join(result.output.split())


def test_a_missing_sample_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["agent", "x", "--data", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2
