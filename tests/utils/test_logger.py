"""``get_logger``: DataFlow's logger, with its success level, on stderr."""

from __future__ import annotations

import pytest

from streamflow import get_logger


def test_the_logger_has_dataflows_success_level_and_level_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DF_LOGGING_LEVEL", "WARNING")
    logger = get_logger()
    logger.info("hidden")
    logger.warning("shown")
    logger = get_logger("INFO")
    logger.success("done")
    out, err = capsys.readouterr()
    assert out == ""
    assert "hidden" not in err
    assert "WARNING shown" in err and "SUCCESS done" in err
