"""DatabaseManager: databases by db_id from folders (Spider/BIRD and flat layouts), server URLs,
mappings and DataFlow's own constructor spelling; the batch and async query paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import pytest

from streamflow.databases import DatabaseError, DatabaseManager, UnknownDatabase, discover_files


@pytest.fixture
def spider_dir(chinook_sqlite: Path, tmp_path: Path) -> Path:
    """Spider layout (db_id/db_id.sqlite), a BIRD-like folder with extra files, a flat file."""
    root = tmp_path / "database"
    (root / "chinook").mkdir(parents=True)
    shutil.copyfile(chinook_sqlite, root / "chinook" / "chinook.sqlite")
    (root / "chinook" / "schema.sql").write_text("-- not a database\n")
    (root / "music").mkdir()
    (root / "music" / "database_description").mkdir()
    shutil.copyfile(chinook_sqlite, root / "music" / "music_v2.sqlite")
    shutil.copyfile(chinook_sqlite, root / "flat.db")
    (root / "notes.txt").write_text("ignored\n")
    (root / "empty").mkdir()
    return root


def test_folder_layouts(spider_dir: Path) -> None:
    found = discover_files(spider_dir)
    assert found == {
        "chinook": spider_dir / "chinook" / "chinook.sqlite",
        "flat": spider_dir / "flat.db",
        "music": spider_dir / "music" / "music_v2.sqlite",
    }
    manager = DatabaseManager(source=spider_dir)
    assert manager.list_databases() == ["chinook", "flat", "music"]
    assert manager.db_type == "sqlite"
    assert manager.execute("music", "SELECT COUNT(*) FROM Genre").rows == [(25,)]


def test_two_files_claiming_one_db_id_is_an_error(chinook_sqlite: Path, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    shutil.copyfile(chinook_sqlite, tmp_path / "x" / "x.sqlite")
    shutil.copyfile(chinook_sqlite, tmp_path / "x.sqlite")
    with pytest.raises(DatabaseError, match="two databases claim db_id 'x'"):
        discover_files(tmp_path)


def test_dataflow_constructor_spelling(spider_dir: Path) -> None:
    manager = DatabaseManager(db_type="sqlite", config={"root_path": str(spider_dir)})
    assert manager.database_exists("chinook") and not manager.database_exists("nope")
    create, insert = manager.get_create_statements_and_insert_statements("chinook")
    assert any(s.startswith("CREATE TABLE [Album]") for s in create)
    assert any(s.startswith('INSERT INTO "Album"') for s in insert)
    assert manager.get_db_details("chinook").startswith("【DB_ID】 chinook")
    assert manager.get_number_of_special_column("chinook") == 64
    with pytest.raises(DatabaseError, match="unknown db_type"):
        DatabaseManager(db_type="oracle", config={})


def test_dataflows_other_keywords_are_accepted(spider_dir: Path) -> None:
    manager = DatabaseManager(
        db_type="sqlite",
        config={"root_path": str(spider_dir)},
        sql_execution_timeout=2,
        max_connections_per_db=7,
        max_workers=100,
        logger=None,
        embedding_serving="an embedder",
    )
    assert manager.options["timeout"] == 2 and manager.options["max_connections"] == 7
    assert manager.embedding_serving == "an embedder"


def test_unknown_database(spider_dir: Path) -> None:
    manager = DatabaseManager(source=spider_dir)
    with pytest.raises(UnknownDatabase, match="no database 'nope'"):
        manager.database("nope")
    outcome = manager.attempt("nope", "SELECT 1")
    assert not outcome.success and "no database 'nope'" in (outcome.error or "")


def test_batches_keep_their_order(spider_dir: Path) -> None:
    manager = DatabaseManager(source=spider_dir)
    outcomes = manager.batch_execute_queries(
        [
            ("chinook", "SELECT COUNT(*) FROM Artist"),
            ("chinook", "SELECT nope FROM Artist"),
            ("flat", "SELECT COUNT(*) FROM Album"),
            ("missing", "SELECT 1"),
        ]
    )
    assert [o.success for o in outcomes] == [True, False, True, False]
    assert outcomes[0].data == [{"COUNT(*)": 275}] and outcomes[2].row_count == 1
    assert "no such column: nope" in (outcomes[1].error or "")
    explained = manager.batch_explain_queries(
        [("chinook", "SELECT Name FROM Artist"), ("chinook", "SELECT Nome FROM Artist")]
    )
    assert [o.success for o in explained] == [True, False]
    compared = manager.batch_compare_queries(
        [
            ("chinook", "SELECT Name FROM Genre", "SELECT Name FROM Genre ORDER BY Name DESC"),
            ("chinook", "SELECT Name FROM Genre", "SELECT Name FROM MediaType"),
        ]
    )
    assert [c["equal"] for c in compared] == [True, False]


def test_async_queries_share_a_small_pool(spider_dir: Path) -> None:
    manager = DatabaseManager(source=spider_dir, max_connections=2)

    async def main() -> list[int]:
        counts: list[int] = [0] * 12

        async def one(i: int) -> None:
            outcome = await manager.aattempt(
                "chinook", f"SELECT COUNT(*) FROM Track WHERE GenreId = {i}"
            )
            assert outcome.success
            counts[i] = outcome.result.rows[0][0]  # type: ignore[union-attr]

        async with anyio.create_task_group() as tg:
            for i in range(12):
                tg.start_soon(one, i)
        return counts

    counts = anyio.run(main)
    direct = [
        manager.execute("chinook", f"SELECT COUNT(*) FROM Track WHERE GenreId = {i}").rows[0][0]
        for i in range(12)
    ]
    assert counts == direct and sum(counts) > 0
    assert len(manager.database("chinook")._idle) <= 2


def test_mixed_mapping(chinook_sqlite: Path, chinook_duckdb: Path) -> None:
    manager = DatabaseManager(source={"a": chinook_sqlite, "b": f"duckdb:///{chinook_duckdb}"})
    assert manager.db_type == "mixed"
    assert manager.dialect("a") == "sqlite" and manager.dialect("b") == "duckdb"
    assert manager.execute("b", 'SELECT COUNT(*) FROM "Genre"').rows == [(25,)]


def test_postgres_server_url_lists_its_databases(postgres_server) -> None:
    server_url = postgres_server.scratch.url("")
    manager = DatabaseManager(source=server_url)
    assert manager.list_databases() == ["chinook"]
    assert manager.db_type == "postgres"
    assert manager.execute("chinook", 'SELECT COUNT(*) FROM "Genre"').rows == [(25,)]
    one = DatabaseManager(db_type="postgresql", config={"url": postgres_server.url})
    assert one.list_databases() == ["chinook"]


def test_mysql_server_url_lists_its_databases(mariadb_server) -> None:
    manager = DatabaseManager(source=mariadb_server.scratch.url(""))
    assert manager.list_databases() == ["chinook"]
    assert manager.execute("chinook", "SELECT COUNT(*) FROM Genre").rows == [(25,)]
    dataflow_style = DatabaseManager(
        db_type="mysql", config={**mariadb_server.scratch.params(), "database": "chinook"}
    )
    assert dataflow_style.db_type == "mysql"
    assert dataflow_style.execute("chinook", "SELECT COUNT(*) FROM Genre").rows == [(25,)]
