from __future__ import annotations

from streamflow.operators.text2sql import Text2SQLCorrespondenceFilter
from streamflow.operators.text2sql.text2sql_correspondence_filter import parse_verdict
from streamflow.testing import ScriptedServing, apply


def test_parse_verdict() -> None:
    assert parse_verdict("Fine.\n```\n<Conclusion> YES </Conclusion>\n```") is True
    assert parse_verdict("```\n<Conclusion>no</Conclusion>\n```") is False
    assert parse_verdict("Hmm ```\nYES\n```") is True
    assert parse_verdict("maybe yes, maybe no") is None
    assert parse_verdict("```\nyes or no\n```") is None


def test_judge_keeps_drops_and_fails(manager) -> None:
    def judge(prompt: str) -> str:
        if "Paris" in prompt:
            return "It matches.\n```\n<Conclusion> YES </Conclusion>\n```"
        if "Oslo" in prompt:
            return "```\n<Conclusion> NO </Conclusion>\n```"
        return "I am not sure."

    serving = ScriptedServing(judge)
    rows = [
        {
            "db_id": "shop",
            "SQL": "SELECT name FROM customer",
            "question": "Who is in Paris?",
            "evidence": "Paris is a city",
        },
        {
            "db_id": "shop",
            "SQL": "SELECT name FROM customer",
            "question": "Who is in Oslo?",
            "evidence": "",
        },
        {"db_id": "shop", "SQL": "SELECT name FROM customer", "question": "Who?", "evidence": ""},
        {"db_id": "shop", "SQL": "SELECT 1", "question": " ", "evidence": ""},
    ]
    out = apply(Text2SQLCorrespondenceFilter(serving, manager), rows)
    assert out.batch.rows == [rows[0]]
    assert [d.reason for d in out.dropped] == [
        "the judge: the query does not answer the question",
        "no question to check the query against",
    ]
    assert out.failed[0][2].startswith("the judge gave no YES/NO verdict")
    assert len(serving.prompts) == 3
    assert "Who is in Paris?\nParis is a city" in serving.prompts[0]
    assert "CREATE TABLE customer" in serving.prompts[0]
