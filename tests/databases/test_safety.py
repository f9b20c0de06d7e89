"""Every backend is read-only at the connection, stops a runaway query at its time limit, and
caps what a query may return. Each test ends by checking that the data is unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from streamflow.databases import (
    Database,
    QueryError,
    QueryTimeout,
    ReadOnlyViolation,
    open_database,
)
from streamflow.databases.schema import quote_identifier

BACKENDS = ["sqlite", "duckdb", "postgres", "mysql"]
ENDLESS = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r"


def _q(db: Database, name: str) -> str:
    return quote_identifier(name, db.dialect)


def _album_count(db: Database) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {_q(db, 'Album')}").rows[0][0])


def _tables(db: Database) -> list[str]:
    return db.schema(refresh=True).table_names


@pytest.mark.parametrize("backend", BACKENDS)
def test_endless_recursive_query_stops_at_the_time_limit(backend: str, chinook: Database) -> None:
    with pytest.raises(QueryTimeout) as caught:
        chinook.execute(ENDLESS, timeout=1.0)
    assert caught.value.kind == "timeout"
    assert caught.value.db_id == "chinook"
    assert _album_count(chinook) == 347  # the pool still serves queries afterwards


@pytest.mark.parametrize("backend", BACKENDS)
def test_ten_million_rows_are_capped(backend: str, chinook: Database) -> None:
    t = _q(chinook, "Track")
    tid = _q(chinook, "TrackId")
    sql = f"SELECT a.{tid}, b.{tid} FROM {t} a CROSS JOIN {t} b LIMIT 10000000"
    result = chinook.execute(sql, max_rows=1000, timeout=30.0)
    assert result.row_count == 1000
    assert result.truncated
    small = chinook.execute(f"SELECT {tid} FROM {t} WHERE {tid} <= 5", max_rows=1000)
    assert small.row_count == 5 and not small.truncated
    exact = chinook.execute(f"SELECT {tid} FROM {t} WHERE {tid} <= 5", max_rows=5)
    assert exact.row_count == 5 and not exact.truncated


def _writes(db: Database) -> list[str]:
    album, artist = _q(db, "Album"), _q(db, "Artist")
    return [
        f"INSERT INTO {album} VALUES (1000, 'x', 1)",
        f"UPDATE {album} SET {_q(db, 'Title')} = 'x'",
        f"DELETE FROM {album}",
        f"DROP TABLE {artist}",
        f"CREATE TABLE {_q(db, 'sneaky')} (x INTEGER)",
        f"ALTER TABLE {album} ADD COLUMN extra INTEGER",
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_writes_are_refused_by_the_connection(backend: str, chinook: Database) -> None:
    before = _tables(chinook)
    for sql in _writes(chinook):
        with pytest.raises(ReadOnlyViolation):
            chinook.execute(sql)
    assert _album_count(chinook) == 347
    assert _tables(chinook) == before


ESCAPES = {
    "sqlite": [
        "ATTACH DATABASE '{tmp}/attached.db' AS other",
        "VACUUM INTO '{tmp}/vacuumed.db'",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA foreign_keys = OFF",
        "PRAGMA writable_schema = ON",
        "PRAGMA user_version = 7",
        "CREATE TEMP TABLE t (x INTEGER)",
        "BEGIN IMMEDIATE",
        "SELECT 1; DROP TABLE Album",
    ],
    "duckdb": [
        "ATTACH '{tmp}/attached.duckdb' AS other",
        "COPY Album TO '{tmp}/album.csv'",
        "SET enable_external_access = true",
        "INSTALL sqlite",
        "SELECT * FROM read_csv('{tmp}/../../etc/passwd')",
        "CREATE TABLE main.sneaky AS SELECT 1",
    ],
    "postgres": [
        'SELECT 1; DROP TABLE "Album"',
        'COMMIT; DROP TABLE "Album"',
        "CREATE TEMP TABLE t (x integer)",
        "CREATE DATABASE other",
        'DO $$ BEGIN DELETE FROM "Album"; END $$',
        'SELECT * FROM "Album" FOR UPDATE',
    ],
    "mysql": [
        "SELECT 1; DROP TABLE Album",
        "CREATE DATABASE other",
        "CREATE TEMPORARY TABLE t (x INTEGER)",
        "SELECT * FROM Album FOR UPDATE",
        "RENAME TABLE Album TO Album2",
    ],
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_engine_specific_escapes_are_refused(
    backend: str, chinook: Database, tmp_path: Path
) -> None:
    before = _tables(chinook)
    for template in ESCAPES[backend]:
        sql = template.format(tmp=tmp_path)
        with pytest.raises(QueryError):
            chinook.execute(sql)
    assert list(tmp_path.iterdir()) == [], "no file may be created"
    assert _album_count(chinook) == 347
    assert _tables(chinook) == before


def test_sqlite_file_is_byte_for_byte_unchanged(chinook_sqlite: Path, tmp_path: Path) -> None:
    digest = hashlib.sha256(chinook_sqlite.read_bytes()).hexdigest()
    with open_database(chinook_sqlite) as db:
        for sql in [*_writes(db), *ESCAPES["sqlite"]]:
            assert not db.attempt(sql.format(tmp=tmp_path)).success
    assert hashlib.sha256(chinook_sqlite.read_bytes()).hexdigest() == digest


def test_sqlite_introspection_pragmas_still_work(chinook_sqlite: Path) -> None:
    with open_database(chinook_sqlite) as db:
        assert [r[1] for r in db.execute("PRAGMA table_info(Album)").rows] == [
            "AlbumId",
            "Title",
            "ArtistId",
        ]
        assert db.execute("PRAGMA foreign_key_list(Album)").rows[0][2] == "Artist"
        assert db.execute("PRAGMA user_version").rows == [(0,)]


def test_duckdb_temp_tables_do_not_outlive_their_query(chinook_duckdb: Path) -> None:
    with open_database(chinook_duckdb, max_connections=1) as db:
        db.execute('CREATE TEMP TABLE "Album" AS SELECT 1 AS x')  # allowed: in memory only
        assert db.execute('SELECT COUNT(*) FROM "Album"').rows == [(347,)]


def test_postgres_session_changes_are_rolled_back(postgres_server) -> None:
    with open_database(postgres_server.url, max_connections=1, timeout=3.0) as db:
        db.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
        db.execute("SET statement_timeout = 0")
        with pytest.raises(ReadOnlyViolation):
            db.execute("INSERT INTO \"Album\" VALUES (1000, 'x', 1)")
        assert db.execute("SHOW statement_timeout").rows == [("3s",)]
        with pytest.raises(QueryTimeout):
            db.execute("SELECT pg_sleep(10)", timeout=0.5)


def test_postgres_reader_role_cannot_write_server_files(postgres_server, tmp_path: Path) -> None:
    with open_database(postgres_server.reader_url) as db:
        assert db.execute('SELECT COUNT(*) FROM "Album"').rows == [(347,)]
        with pytest.raises(QueryError):
            db.execute(f"COPY \"Album\" TO '{tmp_path}/album.csv'")
    assert list(tmp_path.iterdir()) == []


def test_mysql_session_changes_do_not_leak(mariadb_server) -> None:
    with open_database(mariadb_server.url, max_connections=1) as db:
        db.execute("SET SESSION TRANSACTION READ WRITE")
        db.execute("SET SESSION max_statement_time = 0")
        with pytest.raises(ReadOnlyViolation):
            db.execute("INSERT INTO Album VALUES (1000, 'x', 1)")
        with pytest.raises(QueryTimeout):
            db.execute("SELECT SLEEP(10)", timeout=0.5)


def test_mysql_reader_cannot_write_files(mariadb_server, tmp_path: Path) -> None:
    with open_database(mariadb_server.reader_url) as db:
        assert db.execute("SELECT COUNT(*) FROM Album").rows == [(347,)]
        with pytest.raises(QueryError):
            db.execute(f"SELECT * FROM Album INTO OUTFILE '{tmp_path}/album.txt'")
    assert list(tmp_path.iterdir()) == []
