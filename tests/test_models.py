"""The embedded default model's cache: where it lives, that it is built once and atomically.

The real download and conversion run in the slow suite (the ``smollm2_dir`` fixture); these
tests stand in for both steps so they can check what a failure leaves behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamflow import models
from streamflow.cli import app
from streamflow.models import (
    DEFAULT_MODEL,
    default_model_dir,
    model_cache_dir,
    prepare_default_model,
)


def test_cache_dir_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMFLOW_MODEL_CACHE", str(tmp_path))
    assert model_cache_dir() == tmp_path
    assert default_model_dir() == tmp_path / DEFAULT_MODEL
    monkeypatch.delenv("STREAMFLOW_MODEL_CACHE")
    assert model_cache_dir() == Path.home() / ".cache" / "streamflow" / "models"


def test_a_prepared_model_is_not_fetched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_download(work: Path) -> Path:
        raise AssertionError("downloaded a model that was already prepared")

    monkeypatch.setattr(models, "_download_gguf", no_download)
    (tmp_path / DEFAULT_MODEL).mkdir()
    assert prepare_default_model(tmp_path) == tmp_path / DEFAULT_MODEL


def test_a_failed_conversion_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_download(work: Path) -> Path:
        gguf = work / "model.gguf"
        gguf.write_bytes(b"GGUF")
        return gguf

    def half_convert(gguf: Path, out: Path) -> None:
        out.mkdir()
        (out / "config.json").write_text("{}")
        raise KeyboardInterrupt  # killed half-way

    monkeypatch.setattr(models, "_download_gguf", fake_download)
    monkeypatch.setattr(models, "_convert", half_convert)
    with pytest.raises(KeyboardInterrupt):
        prepare_default_model(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_finished_conversion_is_moved_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_download(work: Path) -> Path:
        return work / "model.gguf"

    def convert(gguf: Path, out: Path) -> None:
        out.mkdir()
        (out / "config.json").write_text("{}")

    monkeypatch.setattr(models, "_download_gguf", fake_download)
    monkeypatch.setattr(models, "_convert", convert)
    target = prepare_default_model(tmp_path)
    assert target == tmp_path / DEFAULT_MODEL
    assert [p.name for p in tmp_path.iterdir()] == [DEFAULT_MODEL]
    assert (target / "config.json").is_file()


def test_models_cli_lists_and_prepares_from_the_cache(tmp_path: Path) -> None:
    runner = CliRunner()
    empty = runner.invoke(app, ["models", "list", "--cache-dir", str(tmp_path)])
    assert empty.exit_code == 0
    assert "streamflow models prepare" in empty.output

    model = tmp_path / DEFAULT_MODEL
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"\0" * 3 * 2**20)
    listed = runner.invoke(app, ["models", "list", "--cache-dir", str(tmp_path)])
    assert listed.exit_code == 0
    assert DEFAULT_MODEL in listed.output and "3 MiB" in listed.output

    prepared = runner.invoke(app, ["models", "prepare", "--cache-dir", str(tmp_path)])
    assert prepared.exit_code == 0
    assert prepared.output.strip() == str(model)
