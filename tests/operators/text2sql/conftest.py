"""Databases for the text2sql operator tests: a folder in Spider's layout holding a copy of
Chinook (shared data) and a tiny ``shop`` database built here."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from streamflow.databases import DatabaseManager

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def make_shop(path: Path) -> Path:
    """Two tables, five columns, a foreign key: small enough to count prompts by hand."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(id));
        INSERT INTO customer VALUES (1, 'Ada', 'Paris'), (2, 'Bo', 'Oslo'), (3, 'Cy', 'Paris');
        INSERT INTO orders VALUES (10, 1), (11, 1), (12, 3);
        """
    )
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chinook = SHARED_DATA / "sql" / "chinook.sqlite"
    if not chinook.is_file():
        pytest.skip(f"{chinook} is absent")
    root = tmp_path_factory.mktemp("text2sql") / "databases"
    (root / "chinook").mkdir(parents=True)
    shutil.copyfile(chinook, root / "chinook" / "chinook.sqlite")
    make_shop(root / "shop" / "shop.sqlite")
    return root


@pytest.fixture
def manager(databases: Path) -> DatabaseManager:
    return DatabaseManager(source=databases, timeout=1.0)
