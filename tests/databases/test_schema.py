"""Schema reading on every backend: tables, columns, types, keys, sample values; and the three
renderings the text-to-SQL prompts use (DDL, sample INSERTs, M-Schema)."""

from __future__ import annotations

import sqlite3

import pytest

from streamflow.databases import Column, Database, ForeignKey, Schema, Table

BACKENDS = ["sqlite", "duckdb", "postgres", "mysql"]
CHINOOK_TABLES = {
    "Album",
    "Artist",
    "Customer",
    "Employee",
    "Genre",
    "Invoice",
    "InvoiceLine",
    "MediaType",
    "Playlist",
    "PlaylistTrack",
    "Track",
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_tables_columns_and_keys(backend: str, chinook: Database) -> None:
    schema = chinook.schema()
    assert schema.dialect == chinook.dialect
    assert set(schema.table_names) == CHINOOK_TABLES
    album = schema.table("Album")
    assert album.column_names == ["AlbumId", "Title", "ArtistId"]
    assert album.primary_key == ("AlbumId",)
    assert album.column("AlbumId").primary_key and not album.column("Title").primary_key
    assert not album.column("Title").nullable
    assert "INT" in album.column("ArtistId").type.upper()
    assert ForeignKey("ArtistId", "Artist", "ArtistId") in album.foreign_keys
    assert schema.table("PlaylistTrack").primary_key == ("PlaylistId", "TrackId")
    track_fks = {(f.column, f.ref_table) for f in schema.table("Track").foreign_keys}
    assert track_fks == {("AlbumId", "Album"), ("GenreId", "Genre"), ("MediaTypeId", "MediaType")}
    genre_names = schema.table("Genre").column("Name").examples
    assert 0 < len(genre_names) <= 5 and all(isinstance(v, str) for v in genre_names)
    assert len(schema.table("Artist").sample_rows) == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_rendered_ddl_and_inserts_rebuild_the_sample(backend: str, chinook: Database) -> None:
    """The DDL and INSERTs a prompt shows are real SQL: SQLite (which accepts every engine's
    type names and quoting) builds the tables from them and holds the sample rows."""
    schema = chinook.schema()
    scratch = sqlite3.connect(":memory:")
    for statement in schema.create_statements():
        scratch.execute(statement)
    for statement in schema.insert_statements():
        scratch.execute(statement)
    assert scratch.execute('SELECT COUNT(*) FROM "Artist"').fetchone() == (3,)
    first = scratch.execute('SELECT "Name" FROM "Artist" ORDER BY "ArtistId" LIMIT 1').fetchone()
    assert first == ("AC/DC",)


@pytest.mark.parametrize("backend", BACKENDS)
def test_m_schema_description(backend: str, chinook: Database) -> None:
    text = chinook.schema().describe()
    assert text.startswith("【DB_ID】 chinook\n【Schema】")
    assert "# Table: Album" in text
    assert "(AlbumId:" in text and "Primary Key" in text
    assert "Album.ArtistId=Artist.ArtistId" in text.split("【Foreign keys】")[1]


def test_describe_hides_identifying_and_long_examples() -> None:
    schema = Schema(
        "shop",
        "sqlite",
        (
            Table(
                "person",
                (
                    Column("email", "TEXT", examples=("a@b.org", "c@d.org")),
                    Column("site", "TEXT", examples=("https://x.org",)),
                    Column("bio", "TEXT", examples=("x" * 60,)),
                    Column("motto", "TEXT", examples=("y" * 30, "z" * 30)),
                    Column("born", "DATE", examples=("2000-01-01", "2001-01-01")),
                    Column("age", "INTEGER", primary_key=True, examples=(1, 2, 3, 4)),
                ),
            ),
        ),
    )
    text = schema.describe()
    assert "(email:TEXT)" in text and "(site:TEXT)" in text and "(bio:TEXT)" in text
    assert f"(motto:TEXT, Examples: [{'y' * 30}])" in text
    assert "(born:DATE, Examples: [2000-01-01])" in text
    assert "(age:INTEGER, Primary Key, Examples: [1, 2, 3])" in text
