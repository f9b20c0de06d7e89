"""Spider's hardness rules, one query per rule, each with the counts Spider's evaluation.py
computes for it and why that label follows.

c1 = component1 (WHERE, GROUP BY, ORDER BY, LIMIT, extra tables, OR, LIKE);
c2 = component2 (nested conditions, set operations); others = (more than one aggregation,
more than one selected column, more than one WHERE condition, more than one GROUP BY column).
Every case here that Spider's own parser accepts was checked against Spider's evaluation.py
(same counts, same label); the four it rejects (a comma join, an aliased FROM subquery, a
SELECT-list subquery, EXISTS) follow the extensions the module documents."""

from __future__ import annotations

import pytest

from streamflow.operators.text2sql.spider_hardness import spider_hardness

CASES = [
    # -- easy: c1 <= 1, others == 0, c2 == 0 --------------------------------------------
    ("SELECT name FROM artist", "easy", (0, 0, 0), "nothing counted"),
    ("SELECT count(*) FROM track", "easy", (0, 0, 0), "one aggregation is not 'more than one'"),
    ("SELECT name FROM artist WHERE artistid = 1", "easy", (1, 0, 0), "WHERE: c1 = 1"),
    ("SELECT name FROM track ORDER BY name", "easy", (1, 0, 0), "ORDER BY: c1 = 1"),
    ("SELECT DISTINCT composer FROM track LIMIT 3", "easy", (1, 0, 0), "LIMIT: c1 = 1"),
    (
        "SELECT t1.name FROM artist AS t1 JOIN album AS t2 ON t1.artistid = t2.artistid",
        "easy",
        (1, 0, 0),
        "a second table is one join: c1 = 1; the ON equality counts nothing",
    ),
    (
        "SELECT genreid FROM track GROUP BY genreid HAVING count(*) > 9 AND avg(bytes) > 9",
        "easy",
        (1, 0, 0),
        "Spider's quirk: the HAVING aggregates are not counted, the AND is (1 aggregation)",
    ),
    # -- medium ----------------------------------------------------------------------------
    ("SELECT name, composer FROM track", "medium", (0, 0, 1), "two columns: others = 1"),
    (
        "SELECT max(milliseconds), min(bytes) FROM track",
        "medium",
        (0, 0, 2),
        "two aggregations and two columns: others = 2 (c1 <= 1: first medium rule)",
    ),
    (
        "SELECT name FROM track WHERE bytes > 1 AND bytes < 9 ORDER BY name",
        "medium",
        (2, 0, 1),
        "WHERE + ORDER BY: c1 = 2; two conditions: others = 1 (second medium rule)",
    ),
    (
        "SELECT name FROM track WHERE name LIKE '%a%'",
        "medium",
        (2, 0, 0),
        "WHERE and its LIKE: c1 = 2",
    ),
    (
        "SELECT name FROM track WHERE genreid = 1 OR genreid = 2",
        "medium",
        (2, 0, 1),
        "WHERE and its OR: c1 = 2; two conditions: others = 1",
    ),
    (
        "SELECT name FROM artist, album",
        "easy",
        (1, 0, 0),
        "a comma join is a second table too: c1 = 1",
    ),
    (
        "SELECT genreid, mediatypeid FROM track GROUP BY genreid, mediatypeid",
        "medium",
        (1, 0, 2),
        "GROUP BY: c1 = 1; two columns and two GROUP BY columns: others = 2",
    ),
    (
        "SELECT count(*) FROM (SELECT genreid FROM track GROUP BY genreid) AS s",
        "easy",
        (0, 0, 0),
        "a FROM subquery is a table, not nesting: c2 = 0",
    ),
    (
        "SELECT (SELECT max(total) FROM invoice), name FROM genre",
        "medium",
        (0, 0, 1),
        "a SELECT-list subquery has no slot in Spider: only the two columns count",
    ),
    # -- hard -------------------------------------------------------------------------------
    (
        "SELECT name FROM track WHERE genreid IN (SELECT genreid FROM genre)",
        "hard",
        (1, 1, 0),
        "a nested query in WHERE: c2 = 1 with c1 <= 1 and others == 0 (third hard rule)",
    ),
    (
        "SELECT name FROM artist UNION SELECT name FROM genre",
        "hard",
        (0, 1, 0),
        "UNION: c2 = 1 (third hard rule)",
    ),
    (
        "SELECT name FROM artist INTERSECT SELECT name FROM genre",
        "hard",
        (0, 1, 0),
        "INTERSECT: c2 = 1",
    ),
    (
        "SELECT artistid FROM artist EXCEPT SELECT artistid FROM album",
        "hard",
        (0, 1, 0),
        "EXCEPT: c2 = 1",
    ),
    (
        "SELECT name FROM track WHERE EXISTS (SELECT 1 FROM invoiceline AS il "
        "WHERE il.trackid = track.trackid)",
        "hard",
        (1, 1, 0),
        "EXISTS holds a nested query: c2 = 1",
    ),
    (
        "SELECT genreid FROM track GROUP BY genreid ORDER BY count(*) DESC LIMIT 1",
        "hard",
        (3, 0, 0),
        "GROUP BY + ORDER BY + LIMIT: c1 = 3 (second hard rule)",
    ),
    (
        "SELECT name FROM track WHERE genreid = 1 OR genreid = 2 OR genreid = 3",
        "hard",
        (3, 0, 1),
        "WHERE and two ORs: c1 = 3",
    ),
    (
        "SELECT count(*), max(bytes), min(bytes) FROM track WHERE genreid = 1 AND bytes > 0 "
        "GROUP BY albumid, mediatypeid",
        "hard",
        (2, 0, 4),
        "three aggregations, three columns, two conditions, two GROUP BY columns: others = 4 "
        "> 2 with c1 = 2 (first hard rule)",
    ),
    # -- extra ------------------------------------------------------------------------------
    (
        "SELECT t1.name FROM artist AS t1 JOIN album AS t2 ON t1.artistid = t2.artistid "
        "GROUP BY t1.artistid ORDER BY count(*) DESC LIMIT 1",
        "extra",
        (4, 0, 0),
        "join + GROUP BY + ORDER BY + LIMIT: c1 = 4 > 3",
    ),
    (
        "SELECT count(*) FROM artist WHERE artistid NOT IN (SELECT artistid FROM album)",
        "extra",
        (1, 1, 1),
        "nesting (c2 = 1) with others = 1: the NOT counts as an aggregation, with COUNT that "
        "is more than one (Spider's quirk)",
    ),
    (
        "SELECT name FROM track WHERE genreid = (SELECT genreid FROM genre WHERE name = 'Jazz') "
        "AND mediatypeid = (SELECT mediatypeid FROM mediatype WHERE name = 'AAC')",
        "extra",
        (1, 2, 1),
        "two nested queries: c2 = 2",
    ),
    (
        "SELECT name FROM track WHERE bytes BETWEEN (SELECT min(bytes) FROM track) "
        "AND (SELECT avg(bytes) FROM track)",
        "extra",
        (1, 2, 0),
        "BETWEEN with two subqueries: both values nested, c2 = 2",
    ),
    (
        "SELECT t1.title FROM album AS t1 JOIN artist AS t2 ON t1.artistid = t2.artistid "
        "WHERE t2.name = 'AC/DC' UNION SELECT title FROM album WHERE albumid = 1",
        "extra",
        (2, 1, 0),
        "a set operation (c2 = 1) after a query with c1 = 2: no hard rule allows both",
    ),
    (
        "SELECT genreid FROM track GROUP BY genreid HAVING count(*) > "
        "(SELECT avg(unitprice) FROM track)",
        "hard",
        (1, 1, 0),
        "a nested query in HAVING counts like one in WHERE",
    ),
    (
        "SELECT name FROM artist WHERE artistid IN (SELECT artistid FROM album) "
        "UNION SELECT name FROM genre",
        "extra",
        (1, 2, 0),
        "nested condition + UNION: c2 = 2",
    ),
    (
        "SELECT name FROM artist WHERE name LIKE 'A%' OR name LIKE 'B%'",
        "extra",
        (4, 0, 1),
        "WHERE, OR and two LIKEs: c1 = 4",
    ),
]


@pytest.mark.parametrize(("sql", "label", "counts", "why"), CASES, ids=[c[3][:60] for c in CASES])
def test_rule(sql: str, label: str, counts: tuple[int, int, int], why: str) -> None:
    got, found = spider_hardness(sql)
    assert (found.component1, found.component2, found.others) == counts, why
    assert got == label, why


def test_every_label_and_branch_is_covered() -> None:
    assert {c[1] for c in CASES} == {"easy", "medium", "hard", "extra"}


@pytest.mark.parametrize(
    ("sql", "aggregations", "why"),
    [
        ("SELECT name FROM track WHERE bytes NOT IN (1, 2)", 1, "NOT in WHERE counts"),
        ("SELECT name FROM track WHERE max(bytes) > 3", 0, "an aggregate in WHERE does not"),
        ("SELECT max(bytes) - min(bytes) FROM track", 0, "arithmetic over aggregates is none"),
        ("SELECT sum(x) OVER () FROM t", 0, "a window function is not an aggregation"),
        ("SELECT a FROM t ORDER BY a + count(*)", 1, "ORDER BY units: each side counts"),
        ("SELECT a FROM t GROUP BY a HAVING count(*) > 1 OR sum(b) > 2", 1, "HAVING's OR"),
        ("SELECT a FROM t WHERE a IS NOT NULL", 0, "IS NOT: operator IS, no NOT flag"),
        ("SELECT a FROM t WHERE NOT (a = 1 AND b = 2)", 1, "a negated group is one NOT"),
    ],
)
def test_aggregation_count_quirks(sql: str, aggregations: int, why: str) -> None:
    assert spider_hardness(sql)[1].aggregations == aggregations, why


def test_cte_and_dialects() -> None:
    sql = (
        'WITH c AS (SELECT "ArtistId" FROM "Album") '
        'SELECT count(*) FROM c JOIN "Artist" a ON a."ArtistId" = c."ArtistId"'
    )
    assert spider_hardness(sql, "postgres") == spider_hardness(sql.replace('"', ""), "sqlite")
    assert spider_hardness(sql, "postgres")[1].component1 == 1  # the CTE is a table, joined
    assert spider_hardness("SELECT `a` FROM `t` LIMIT 1", "mysql")[0] == "easy"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT FROM WHERE (((", "sqlglot cannot parse"),
        ("INSERT INTO t VALUES (1)", "not a query: INSERT"),
        ("SELECT 1; SELECT 2", "2 statements"),
    ],
)
def test_not_one_query(sql: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spider_hardness(sql)
