"""LLMLanguageFilter: answer parsing and decisions on a scripted serving; on the real engine."""

from __future__ import annotations

import pytest

from streamflow.errors import PromptTemplateError
from streamflow.operators.general_text.llm_language import LLMLanguageFilter, language_code
from streamflow.operators.general_text.prompts import LanguageFilterPrompt
from streamflow.prompts.base import FormatStrPrompt
from streamflow.rows import Failure
from streamflow.testing import ScriptedServing, apply


def test_language_code_reading() -> None:
    assert language_code("en") == "en"
    assert language_code("Language: FR.") == "fr"
    assert language_code("`de`\nbecause the words are German") == "de"
    assert language_code("Unknown") == "unknown"
    assert language_code("English.") == "en" and language_code("It is written in French") == "fr"
    assert language_code("I cannot tell, sorry!") is None
    assert language_code("of the text") is None  # two letters in a sentence are no code
    assert language_code("") is None


def test_decisions_on_scripted_answers() -> None:
    answers = {"Hello there": "en", "Bonjour": "Language: fr", "???": "unknown", "zz": "hmm..."}

    def answer(prompt: str) -> str:
        text = prompt.rsplit("Text: ", 1)[1].split("\n")[0]
        return answers[text]

    serving = ScriptedServing(answer)
    op = LLMLanguageFilter(serving, allowed_languages=["en", "de"])
    rows = [{"text": t} for t in answers] + [{"text": "  "}]
    out = apply(op, rows, input_key="text")
    assert out.batch.ids == ["row:0"] and out.batch.rows[0]["language_label"] == "en"
    reasons = {d.id: d.reason for d in out.dropped}
    assert reasons == {
        "row:1": "language fr not in en, de",
        "row:2": "language unknown not in en, de",
        "row:4": "empty input field 'text'",
    }
    assert out.failed[0][0] == "row:3" and "no language code" in out.failed[0][2]
    assert len(serving.prompts) == 4  # the blank text is not sent
    assert "Text: Hello there\nLanguage:" in serving.prompts[0]


def test_prompt_templates() -> None:
    serving = ScriptedServing(lambda p: "en")
    assert LanguageFilterPrompt().fields == ("text",)
    with pytest.raises(PromptTemplateError):
        LLMLanguageFilter(serving, prompt_template=FormatStrPrompt("{text}"))


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_on_the_real_engine(vllm_serving) -> None:  # type: ignore[no-untyped-def]
    from streamflow.rows import current_row_ids
    from streamflow.testing import ScriptedServing

    answers: list[str] = []

    class Recording(ScriptedServing):  # the real engine's answers, kept for the assertion message
        async def _complete(self, messages, json_schema, params):  # type: ignore[no-untyped-def]
            completion = await vllm_serving._complete(messages, json_schema, params)
            answers.append(completion.text)
            return completion

    op = LLMLanguageFilter(Recording(), allowed_languages=["en"])
    texts = [
        "The weather is lovely today and we are going to the park.",
        "Das Wetter ist heute sehr schön und wir gehen in den Park.",
        "Le temps est magnifique aujourd'hui et nous allons au parc.",
    ]
    rows = [{"text": t} for t in texts]
    token = current_row_ids.set([f"r{i}" for i in range(len(rows))])
    try:
        verdicts = await op.process(rows, input_key="text")
    finally:
        current_row_ids.reset(token)
    assert len(verdicts) == 3
    for row, verdict in zip(rows, verdicts, strict=True):
        if verdict is True:
            assert row["language_label"] == "en"
        elif isinstance(verdict, Failure):
            assert verdict.reason.startswith("no language code")
        else:
            assert verdict[1].startswith("language ")
    assert verdicts[0] is True, answers  # English is named as English
