"""What a connector reports about a database: tables, columns, keys and a few sample values.

The same :class:`Schema` comes out of every backend, so the text-to-SQL operators render one
description whatever the engine: ``create_statements()`` (the DDL, as the database stores it
where it keeps one, SQLite; rendered in the database's dialect otherwise), ``insert_statements()``
(a few sample rows as INSERTs, the "data values" of DataFlow's prompts) and ``describe()``
(M-Schema, the compact format with examples that DataFlow's prompt generator serialises).
Values kept here are JSON-safe (dates, decimals and bytes as text) so a schema can go into rows.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Column", "ForeignKey", "Schema", "Table", "json_safe", "quote_identifier"]

_DATE_TYPES = ("DATE", "TIME", "DATETIME", "TIMESTAMP")


def quote_identifier(name: str, dialect: str) -> str:
    """``name`` quoted for ``dialect`` (backticks for MySQL, double quotes elsewhere)."""
    if dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def json_safe(value: Any) -> Any:
    """A value as it can travel in a row: numbers, text, None; the rest as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "base64:" + base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def sql_literal(value: Any) -> str:
    """``value`` written as an SQL literal (for the sample INSERT statements)."""
    value = json_safe(value)
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class Column:
    """One column: its declared type, nullability, whether it is part of the primary key, and up
    to a few distinct non-null example values."""

    name: str
    type: str
    nullable: bool = True
    primary_key: bool = False
    examples: tuple[Any, ...] = ()
    comment: str = ""


@dataclass(frozen=True)
class ForeignKey:
    """``column`` of this table references ``ref_table.ref_column``."""

    column: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    sample_rows: tuple[tuple[Any, ...], ...] = ()
    create_statement: str = ""
    comment: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name.lower() == name.lower():
                return col
        raise KeyError(f"table {self.name} has no column {name!r}")


@dataclass(frozen=True)
class Schema:
    """A database's tables, in the order the database lists them."""

    db_id: str
    dialect: str
    tables: tuple[Table, ...] = field(default_factory=tuple)

    @property
    def table_names(self) -> list[str]:
        return [t.name for t in self.tables]

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name.lower() == name.lower():
                return table
        raise KeyError(f"database {self.db_id} has no table {name!r}")

    def subset(self, names: Iterable[str]) -> Schema:
        """The same schema with only the tables named (in this schema's order)."""
        wanted = {n.lower() for n in names}
        return replace(self, tables=tuple(t for t in self.tables if t.name.lower() in wanted))

    def neighbours(self, name: str) -> list[str]:
        """The tables linked to ``name`` by a foreign key, either way, sorted by name."""
        lowered = name.lower()
        found = {fk.ref_table for fk in self.table(name).foreign_keys}
        found |= {
            t.name
            for t in self.tables
            if any(fk.ref_table.lower() == lowered for fk in t.foreign_keys)
        }
        known = {t.name.lower(): t.name for t in self.tables}
        return sorted(
            known[n.lower()] for n in found if n.lower() in known and n.lower() != lowered
        )

    def create_statements(self) -> list[str]:
        """One ``CREATE TABLE`` per table: the stored DDL where the database keeps it."""
        return [t.create_statement or self.render_create(t) for t in self.tables]

    def render_create(self, table: Table) -> str:
        """``CREATE TABLE`` for ``table`` in this schema's dialect, from what was read."""
        q = self._quote
        lines = []
        for col in table.columns:
            line = f"    {q(col.name)} {col.type or 'TEXT'}"
            if not col.nullable:
                line += " NOT NULL"
            if col.comment:
                line += f" /* {col.comment} */"
            lines.append(line)
        if table.primary_key:
            lines.append(f"    PRIMARY KEY ({', '.join(q(c) for c in table.primary_key)})")
        for fk in table.foreign_keys:
            target = f"{q(fk.ref_table)} ({q(fk.ref_column)})"
            lines.append(f"    FOREIGN KEY ({q(fk.column)}) REFERENCES {target}")
        return f"CREATE TABLE {q(table.name)} (\n" + ",\n".join(lines) + "\n);"

    def insert_statements(self) -> list[str]:
        """The sample rows of every table as ``INSERT`` statements."""
        q = self._quote
        out = []
        for table in self.tables:
            cols = ", ".join(q(c) for c in table.column_names)
            for row in table.sample_rows:
                values = ", ".join(sql_literal(v) for v in row)
                out.append(f"INSERT INTO {q(table.name)} ({cols}) VALUES ({values});")
        return out

    def describe(self, max_examples: int = 3) -> str:
        """M-Schema: each table's columns with type, key and example values, then the foreign
        keys. Long or identifying examples (URLs, e-mail addresses) are left out."""
        lines = [f"【DB_ID】 {self.db_id}", "【Schema】"]
        for table in self.tables:
            title = f"# Table: {table.name}" + (f", {table.comment}" if table.comment else "")
            lines.append(title)
            fields = []
            for col in table.columns:
                parts = [f"{col.name}:{_base_type(col.type)}"]
                if col.comment:
                    parts.append(col.comment)
                if col.primary_key:
                    parts.append("Primary Key")
                examples = _shown_examples(col, max_examples)
                if examples:
                    parts.append(f"Examples: [{', '.join(examples)}]")
                fields.append("(" + ", ".join(parts) + ")")
            lines.append("[")
            lines.append(",\n".join(fields))
            lines.append("]")
        fks = [
            f"{t.name}.{fk.column}={fk.ref_table}.{fk.ref_column}"
            for t in self.tables
            for fk in t.foreign_keys
        ]
        if fks:
            lines.append("【Foreign keys】")
            lines.extend(fks)
        return "\n".join(lines)

    def column_count(self) -> int:
        return sum(len(t.columns) for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe description (for rows, reports and tests)."""
        return {
            "db_id": self.db_id,
            "dialect": self.dialect,
            "tables": [
                {
                    "name": t.name,
                    "columns": [
                        {
                            "name": c.name,
                            "type": c.type,
                            "nullable": c.nullable,
                            "primary_key": c.primary_key,
                            "examples": list(c.examples),
                        }
                        for c in t.columns
                    ],
                    "primary_key": list(t.primary_key),
                    "foreign_keys": [
                        {"column": f.column, "ref_table": f.ref_table, "ref_column": f.ref_column}
                        for f in t.foreign_keys
                    ],
                }
                for t in self.tables
            ],
        }

    def _quote(self, name: str) -> str:
        return quote_identifier(name, self.dialect)


def _base_type(type_: str) -> str:
    return (type_.split("(")[0].strip() or "TEXT").upper()


_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+\.[\w.-]+$")


def _shown_examples(col: Column, limit: int) -> list[str]:
    values = [str(v) for v in col.examples if v is not None and str(v) != ""]
    if any(_EMAIL.match(v) or "://" in v for v in values):
        return []
    values = values[:limit]
    if _base_type(col.type) in _DATE_TYPES:
        return values[:1]
    longest = max((len(v) for v in values), default=0)
    if longest > 50:
        return []
    if longest > 20:
        return values[:1]
    return values
