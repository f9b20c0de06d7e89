"""Text2SQLCoTGenerator (k traces in one request) and Text2SQLCoTVotingGenerator (execution
majority, documented tie-breaks), on Chinook."""

from __future__ import annotations

import pytest
from text2sql_fakes import SampledServing, sql_answer

from streamflow import FileStorage, Pipeline
from streamflow.operators.text2sql import Text2SQLCoTGenerator, Text2SQLCoTVotingGenerator
from streamflow.testing import apply

GENRES = "SELECT COUNT(*) FROM Genre"  # 25
GENRES_LONGER = "SELECT COUNT(GenreId) FROM Genre"  # 25 too, by another road
MEDIA = "SELECT COUNT(*) FROM MediaType"  # 5
MEDIA_LONGER = "SELECT COUNT(MediaTypeId) FROM MediaType"  # 5


def _row(*traces: str) -> dict:
    return {"db_id": "chinook", "question": "q", "cot_responses": list(traces)}


def _vote(manager, *traces: str) -> str:
    out = apply(Text2SQLCoTVotingGenerator(manager), [_row(*traces)])
    assert not out.failed, out.failed
    return out.batch.rows[0]["cot_reasoning"]


def test_majority_by_result_not_by_text(manager) -> None:
    traces = [
        sql_answer(MEDIA),  # 5: one vote
        sql_answer(GENRES_LONGER),  # 25
        sql_answer("SELECT COUNT(*) FROM Nope"),  # does not run
        "no query at all",
        sql_answer(GENRES),  # 25: the majority (2), and the shorter of its two
    ]
    assert _vote(manager, *traces) == traces[4]


def test_ties_between_groups_go_to_the_shortest_query(manager) -> None:
    # one vote each: 25 (long query) vs 5 (short query): the group holding the shorter wins
    assert _vote(manager, sql_answer(GENRES_LONGER), sql_answer(MEDIA)) == sql_answer(MEDIA)
    # two votes each; the shortest query overall is in the 25 group
    traces = [
        sql_answer(MEDIA_LONGER),
        sql_answer(GENRES),
        sql_answer(MEDIA),
        sql_answer(GENRES_LONGER),
    ]
    assert len(GENRES) < len(MEDIA)
    assert _vote(manager, *traces) == traces[1]


def test_equal_length_ties_go_to_the_earliest_trace(manager) -> None:
    a = sql_answer("SELECT COUNT(*) FROM Genre")
    same_result_same_length = "Other words.\n```sql\nSELECT count(*) FROM Genre\n```"
    assert _vote(manager, a, same_result_same_length) == a
    assert _vote(manager, same_result_same_length, a) == same_result_same_length


def test_empty_results_vote_together(manager) -> None:
    empty1 = sql_answer("SELECT Name FROM Genre WHERE GenreId < 0")
    empty2 = sql_answer("SELECT Name FROM Genre WHERE Name = 'none'")
    one_row = sql_answer("SELECT Name FROM Genre WHERE GenreId = 1")
    assert _vote(manager, one_row, empty2, empty1) == empty1


def test_no_running_query_fails_the_row(manager) -> None:
    out = apply(
        Text2SQLCoTVotingGenerator(manager),
        [_row(sql_answer("SELECT x FROM Nope"), "nothing"), _row()],
    )
    assert out.batch.rows == []
    first, second = (reason for _, _, reason in out.failed)
    assert first.startswith("no trace's query ran (trace 0: no such table: Nope; trace 1: no query")
    assert second == "no reasoning traces in 'cot_responses'"


def test_cot_generator_asks_k_samples_in_one_request(manager) -> None:
    serving = SampledServing(lambda prompt, n: [sql_answer(f"SELECT {k}") for k in range(n)])
    op = Text2SQLCoTGenerator(serving, manager, sampling_num=4)
    rows = [{"db_id": "chinook", "SQL": GENRES, "question": "How many genres?", "evidence": "e"}]
    out = apply(op, rows)
    assert out.batch.rows[0]["cot_responses"] == [sql_answer(f"SELECT {k}") for k in range(4)]
    ((messages, params),) = serving.requests
    assert params.n == 4 and params.temperature == pytest.approx(0.8)
    prompt = str(messages[-1]["content"])
    assert GENRES in prompt and "How many genres?\ne" in prompt and "CREATE TABLE [Genre]" in prompt


def test_dataflow_keys_compile(manager, tmp_path) -> None:
    """DataFlow's pipeline passes output_cot_key to both steps; only the vote writes it."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"db_id": "chinook", "SQL": "SELECT 1", "question": "q", "evidence": ""}\n')
    serving = SampledServing(lambda prompt, n: [sql_answer(GENRES)] * n)

    class CoT(Pipeline):
        def __init__(self) -> None:
            self.storage = FileStorage(str(source), output_file=str(tmp_path / "out.jsonl"))
            self.cot = Text2SQLCoTGenerator(serving, manager, sampling_num=2)
            self.vote = Text2SQLCoTVotingGenerator(manager)

        def forward(self) -> None:
            self.cot.run(
                self.storage.step(),
                input_sql_key="SQL",
                input_question_key="question",
                input_db_id_key="db_id",
                input_evidence_key="evidence",
                output_cot_key="cot_reasoning",
            )
            self.vote.run(
                self.storage.step(),
                input_cot_responses_key="cot_responses",
                input_db_id_key="db_id",
                output_cot_key="cot_reasoning",
            )

    CoT().run()
    import json

    row = json.loads((tmp_path / "out.jsonl").read_text())
    assert row["cot_reasoning"] == sql_answer(GENRES) and len(row["cot_responses"]) == 2
