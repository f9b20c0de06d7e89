"""Chinook on every backend: the shared SQLite file, a DuckDB copy, and throwaway PostgreSQL and
MariaDB servers (started once per test session, in temporary directories, unix sockets only).

A server that cannot start here skips its tests with the reason; nothing is mocked.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from streamflow.databases import Database, DatabaseError, open_database
from streamflow.databases.loading import (
    copy_sqlite_to_duckdb,
    copy_sqlite_to_mysql,
    copy_sqlite_to_postgres,
)
from streamflow.databases.scratch import (
    ScratchMariaDB,
    ScratchPostgres,
    mariadb_available,
    postgres_available,
)


@dataclass
class Server:
    url: str  # the Chinook database, as the superuser
    reader_url: str  # the Chinook database, as a role that may only read
    scratch: ScratchPostgres | ScratchMariaDB


SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def chinook_source() -> Path:
    """The shared Chinook file (session-scoped twin of tests/conftest.py's shared_data)."""
    path = SHARED_DATA / "sql" / "chinook.sqlite"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def chinook_sqlite(chinook_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy, so that a failed read-only guarantee could never touch shared data."""
    copy = tmp_path_factory.mktemp("sqlite") / "chinook.sqlite"
    shutil.copyfile(chinook_source, copy)
    return copy


@pytest.fixture(scope="session")
def chinook_duckdb(chinook_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("duckdb")
    return copy_sqlite_to_duckdb(
        chinook_source, tmp_path_factory.mktemp("duckdb") / "chinook.duckdb"
    )


@pytest.fixture(scope="session")
def postgres_server(chinook_source: Path) -> Iterator[Server]:
    pytest.importorskip("psycopg")
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    try:
        with ScratchPostgres() as pg:
            url = pg.create_database("chinook")
            copy_sqlite_to_postgres(chinook_source, url)
            reader = pg.create_reader()
            yield Server(url, pg.url("chinook", user=reader), pg)
    except DatabaseError as exc:
        pytest.skip(f"PostgreSQL did not start: {exc}")


@pytest.fixture(scope="session")
def mariadb_server(chinook_source: Path) -> Iterator[Server]:
    pytest.importorskip("pymysql")
    reason = mariadb_available()
    if reason:
        pytest.skip(reason)
    try:
        with ScratchMariaDB() as db:
            url = db.create_database("chinook")
            copy_sqlite_to_mysql(chinook_source, db.params("chinook"))
            reader = db.create_reader()
            yield Server(url, db.url("chinook", user=reader), db)
    except DatabaseError as exc:
        pytest.skip(f"MariaDB did not start: {exc}")


@pytest.fixture
def chinook_url(request: pytest.FixtureRequest, chinook_sqlite: Path) -> str:
    """Chinook on the backend named by the test's ``backend`` parameter."""
    backend = request.node.callspec.params["backend"]
    if backend == "sqlite":
        return str(chinook_sqlite)
    if backend == "duckdb":
        return str(request.getfixturevalue("chinook_duckdb"))
    if backend == "postgres":
        return request.getfixturevalue("postgres_server").url
    return request.getfixturevalue("mariadb_server").url


@pytest.fixture
def chinook(chinook_url: str) -> Iterator[Database]:
    db = open_database(chinook_url, "chinook", timeout=5.0)
    yield db
    db.close()
