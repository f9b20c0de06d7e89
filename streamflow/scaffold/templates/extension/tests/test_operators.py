from streamflow import OPERATORS
from streamflow.serving.base import LLMRequestError
from streamflow.testing import ScriptedServing, apply

from extension_package.operators import ExtensionPackageSummarizer, ExtensionPackageWordCounter


def test_counts_words() -> None:
    rows = [{"text": "one two three"}, {"text": ""}]
    out = ExtensionPackageWordCounter().process(rows, input_key="text", output_key="n")
    assert [row["n"] for row in out] == [3, 0]
    assert out[0]["text"] == "one two three"


def test_summarizes_with_its_prompt_template() -> None:
    llm = ScriptedServing(lambda prompt: " Rivers move water. ")
    outcome = apply(ExtensionPackageSummarizer(llm), [{"text": "Rivers flow to the sea."}])
    text = "Rivers flow to the sea."
    assert outcome.batch.rows == [{"text": text, "summary": "Rivers move water."}]
    assert "Rivers flow to the sea." in llm.prompts[0]


def test_a_failed_request_fails_its_row_only() -> None:
    def answer(prompt: str) -> str:
        if "bad" in prompt:
            raise LLMRequestError("context too long")
        return "ok"

    summarizer = ExtensionPackageSummarizer(ScriptedServing(answer))
    outcome = apply(summarizer, [{"text": "good"}, {"text": "bad"}])
    assert [row["text"] for row in outcome.batch.rows] == ["good"]
    assert [reason for _, _, reason in outcome.failed] == ["context too long"]


def test_are_declared_as_extension_operators() -> None:
    for op in (ExtensionPackageWordCounter, ExtensionPackageSummarizer):
        assert OPERATORS.get(op.__name__) is op
        assert OPERATORS.info(op.__name__).extension == "extension-package"
