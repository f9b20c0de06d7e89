from __future__ import annotations

from text2sql_fakes import SampledServing

from streamflow.operators.text2sql import Text2SQLQuestionGenerator
from streamflow.operators.text2sql.prompts import QUESTION_STYLES
from streamflow.operators.text2sql.text2sql_question_generator import (
    choose_central,
    parse_question,
)
from streamflow.testing import apply


def tagged(question: str, knowledge: str = "", explanation: str = "It lists names.") -> str:
    text = f"[EXPLANATION-START]{explanation}[EXPLANATION-END]\n"
    text += f"[QUESTION-START]{question}[QUESTION-END]"
    if knowledge:
        text += f"\n[EXTERNAL-KNOWLEDGE-START]{knowledge}[EXTERNAL-KNOWLEDGE-END]"
    return text


def test_parse_question() -> None:
    assert parse_question(tagged("Who lives in Paris?", "Paris is a city")) == {
        "question": "Who lives in Paris?",
        "external_knowledge": "Paris is a city",
    }
    assert parse_question(tagged("Who?", explanation="")) is None  # DataFlow needs both
    assert parse_question("Who lives in Paris?") is None


def test_central_candidate() -> None:
    texts = [
        "What is the weather on Mars?",
        "List the customers who live in Paris.",
        "Which customers live in Paris?",
        "Which customers are living in Paris?",
    ]
    # word-set distances to the others: 2.917, 2.117, 1.929, 2.129 -> the third is central
    assert choose_central(texts) == 2
    assert choose_central(texts[:2]) == 0  # two candidates: the first (DataFlow drew at random)
    # with embeddings the cosine distances decide: the last vector sits between the others
    vectors = [[0.0, 1.0], [1.0, 0.0], [0.9, 0.45], [0.7, 0.7]]
    assert choose_central(texts, vectors) == 3


def test_k_candidates_in_one_request_and_the_central_wins(manager) -> None:
    answers = [
        tagged("Tell me about the moon landing please"),
        "garbled",
        tagged("Which customers live in Paris, by name?"),
        tagged("Which customers live in Paris?"),
        tagged("Names of customers living in Paris?"),
    ]
    serving = SampledServing(lambda prompt, n: answers[:n])
    op = Text2SQLQuestionGenerator(serving, database_manager=manager, question_candidates_num=5)
    rows = [
        {"db_id": "shop", "SQL": "SELECT name FROM customer WHERE city = 'Paris'"},
        {"db_id": "shop", "SQL": "SELECT 1", "question": "Already asked?"},
    ]
    out = apply(op, rows, ids=["r1", "r2"])
    first, second = out.batch.rows
    # word-set distances among the 4 parsable ones: 3.0, 1.986, 1.911, 2.325
    assert first["question"] == "Which customers live in Paris?"
    assert first["evidence"] == ""
    assert first["question_type"] in QUESTION_STYLES
    assert f"Style: {first['question_type']}." in serving.prompts[0]
    assert second["question"] == "Already asked?" and second["evidence"] == ""
    assert len(serving.requests) == 1, "a row with a question costs nothing"
    params = serving.requests[0][1]
    assert params.n == 5 and params.temperature > 0


def test_no_parsable_candidate_fails_the_row(manager) -> None:
    serving = SampledServing(lambda prompt, n: ["no tags here"] * n)
    op = Text2SQLQuestionGenerator(serving, database_manager=manager, question_candidates_num=3)
    out = apply(op, [{"db_id": "shop", "SQL": "SELECT 1"}, {"db_id": "nope", "SQL": "SELECT 1"}])
    assert out.batch.rows == []
    assert out.failed[0][2].startswith("none of 3 answers held [QUESTION-START]")
    assert "unknown database 'nope'" in out.failed[1][2]


def test_knowledge_for_vague_styles(manager) -> None:
    answer = tagged("Who are the seasoned buyers?", "seasoned buyers: customers with orders")
    serving = SampledServing(lambda prompt, n: [answer] * n)
    op = Text2SQLQuestionGenerator(serving, database_manager=manager, question_candidates_num=1)
    rows = [{"db_id": "shop", "SQL": "SELECT DISTINCT customer_id FROM orders"}] * 12
    out = apply(op, rows, ids=[f"r{i}" for i in range(12)])
    styles = {r["question_type"] for r in out.batch.rows}
    assert len(styles) > 2  # drawn per row
    for row, prompt in zip(out.batch.rows, serving.prompts, strict=True):
        assert row["evidence"] == "seasoned buyers: customers with orders"
        asks_knowledge = "[EXTERNAL-KNOWLEDGE-START]" in prompt
        assert asks_knowledge == (row["question_type"] in ("Vague", "Metaphorical"))
