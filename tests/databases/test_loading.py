from __future__ import annotations

from pathlib import Path

import pytest

from streamflow.databases import DatabaseError, open_database
from streamflow.databases.loading import copy_sqlite_to_duckdb, read_sqlite_tables, target_type


def test_declared_types_map_to_each_engine() -> None:
    assert target_type("INTEGER", "postgres") == "BIGINT"
    assert target_type("NUMERIC(10,2)", "postgres") == "NUMERIC(10,2)"
    assert target_type("NUMERIC(10,2)", "mysql") == "DECIMAL(10,2)"
    assert target_type("NVARCHAR(160)", "mysql") == "VARCHAR(160)"
    assert target_type("DATETIME", "mysql") == "DATETIME"
    assert target_type("DATETIME", "duckdb") == "TIMESTAMP"
    assert target_type("REAL", "postgres") == "DOUBLE PRECISION"
    assert target_type("BLOB", "postgres") == "BYTEA"
    assert target_type("", "duckdb") == "TEXT"


def test_tables_come_parents_first(chinook_sqlite: Path) -> None:
    order = [t.name for t in read_sqlite_tables(chinook_sqlite)]
    for child, parent in [("Album", "Artist"), ("Track", "Genre"), ("InvoiceLine", "Invoice")]:
        assert order.index(parent) < order.index(child)


def test_duckdb_copy_holds_every_row(chinook_sqlite: Path, chinook_duckdb: Path) -> None:
    with open_database(chinook_sqlite) as src, open_database(chinook_duckdb) as dst:
        for table in src.schema().table_names:
            q = f'SELECT COUNT(*) FROM "{table}"'
            assert src.execute(q).rows == dst.execute(q).rows, table
    with pytest.raises(DatabaseError, match="exists already"):
        copy_sqlite_to_duckdb(chinook_sqlite, chinook_duckdb)
