from __future__ import annotations

from streamflow.operators.text2sql import Text2SQLPromptGenerator
from streamflow.testing import apply


def test_training_prompt_holds_schema_question_and_notes(manager) -> None:
    rows = [
        {"db_id": "chinook", "question": "How many tracks?", "evidence": "tracks are songs"},
        {"db_id": "shop", "question": "Who lives in Paris?"},
        {"db_id": "nope", "question": "?"},
        {"db_id": "shop", "question": ""},
    ]
    out = apply(Text2SQLPromptGenerator(manager), rows)
    chinook, shop = out.batch.rows
    assert chinook["prompt"].count("【DB_ID】 chinook") == 1
    assert "(AlbumId:INTEGER, Primary Key" in chinook["prompt"]
    assert "Album.ArtistId=Artist.ArtistId" in chinook["prompt"]
    assert "tracks are songs\nHow many tracks?" in chinook["prompt"]
    assert "strftime" in chinook["prompt"]  # SQLite's dialect notes
    assert "Who lives in Paris?" in shop["prompt"] and shop["question"] == "Who lives in Paris?"
    assert [reason for _, _, reason in out.failed][1] == "no question in 'question'"
    assert "unknown database 'nope'" in out.failed[0][2]


def test_dialect_notes_follow_the_engine() -> None:
    from streamflow.operators.text2sql.prompts import Text2SQLPromptGeneratorPrompt

    template = Text2SQLPromptGeneratorPrompt()
    sqlite = template.build_prompt(db_details="D", question="Q", evidence="", db_engine="sqlite")
    pg = template.build_prompt(db_details="D", question="Q", evidence="", db_engine="postgres")
    mysql = template.build_prompt(db_details="D", question="Q", evidence="", db_engine="mysql")
    assert "expert in SQLite SQL" in sqlite and "expert in PostgreSQL SQL" in pg
    assert "julianday" in sqlite and "DATE_TRUNC" in pg and "backticks" in mysql
    strip = lambda text, engine: text.split(f"Notes on {engine} SQL:")[0]  # noqa: E731
    assert strip(sqlite, "SQLite").replace("SQLite", "X") == strip(pg, "PostgreSQL").replace(
        "PostgreSQL", "X"
    )
