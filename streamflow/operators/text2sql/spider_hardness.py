"""Spider's hardness (easy / medium / hard / extra), computed on sqlglot's parse.

Spider's official ``evaluation.py`` parses a query into its own structure (``process_sql.py``)
and counts three things in it:

- **component1**: a WHERE clause, a GROUP BY, an ORDER BY, a LIMIT (one each); one per table
  beyond the first in FROM (joined or comma-separated, a FROM subquery counting as a table);
  one per OR and one per LIKE among the conditions of FROM ... ON, WHERE and HAVING;
- **component2**: nested queries: one per condition value (of FROM ... ON, WHERE, HAVING) that
  is a subquery, plus one for an INTERSECT, UNION or EXCEPT after the query;
- **others**: one if more than one aggregation is counted, one for more than one selected
  column, one for more than one WHERE condition, one for more than one GROUP BY column;

and maps them to a label:

- easy: component1 <= 1, others == 0, component2 == 0;
- medium: (others <= 2, component1 <= 1, component2 == 0) or (component1 <= 2, others < 2,
  component2 == 0);
- hard: (others > 2, component1 <= 2, component2 == 0) or (2 < component1 <= 3, others <= 2,
  component2 == 0) or (component1 <= 1, others == 0, component2 <= 1);
- extra: anything else.

This module builds Spider's structure from sqlglot's syntax tree and applies the same counts,
including the quirks of Spider's code, which change labels and are kept on purpose:

- the aggregation count looks at the *first element* of each unit: for a WHERE condition that
  is its NOT flag, so ``x NOT IN (...)`` counts as an aggregation and ``MAX(x) > 3`` does not;
  for HAVING it walks the whole condition list, so each AND/OR there counts as an aggregation,
  as does a negated condition, while the aggregate inside a HAVING condition does not;
- a selected expression is aggregated only when it *is* an aggregate (``MAX(a) - MIN(b)`` is
  not), and only MAX, MIN, COUNT, SUM and AVG are aggregates;
- ``x IS NOT NULL`` is the operator IS with no NOT flag (Spider reads NOT as its value).

Spider's parser rejects much of real SQL; where it has no rule, this module extends its rules
in the nearest way, documented: a CTE referenced in FROM is a table (its body is not nested,
like a FROM subquery's); subqueries in the SELECT list are not nested (Spider has no slot for
them); a window function is not an aggregation; a condition whose left side holds a subquery
counts it as nested like a right side would; an ORDER BY or LIMIT after a set operation belongs
to its last query (where Spider's left-to-right parse puts it); ``A UNION B UNION C`` nests as
A -> B -> C, so A has one set operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streamflow.extras import require

__all__ = ["HARDNESS_LEVELS", "SpiderCounts", "SpiderSQL", "spider_hardness", "to_spider"]

HARDNESS_LEVELS = ("easy", "medium", "hard", "extra")

_CONNECTIVES = {"And": "and", "Or": "or"}
_COMPARISONS = {
    "EQ": "=",
    "NEQ": "!=",
    "GT": ">",
    "LT": "<",
    "GTE": ">=",
    "LTE": "<=",
    "In": "in",
    "Like": "like",
    "ILike": "like",
    "Is": "is",
    "Between": "between",
    "Exists": "exists",
}
_AGGREGATES = ("Max", "Min", "Count", "Sum", "Avg")
_ARITHMETIC = ("Add", "Sub", "Mul", "Div")


@dataclass
class Condition:
    """Spider's cond_unit, reduced to what the hardness counts read."""

    not_op: bool
    op: str
    nested: int
    """How many of its values are subqueries (0, 1 or 2)."""


@dataclass
class SpiderSQL:
    """Spider's parse of one SELECT, reduced to what the hardness counts read.

    Condition lists interleave :class:`Condition` and the connectives ``"and"``/``"or"``, as
    Spider's do; ``select``/``group_by`` hold each unit's aggregate (``None`` if none);
    ``order_by`` holds each unit's one or two column units' aggregates.
    """

    select: list[str | None] = field(default_factory=list)
    tables: int = 0
    from_conds: list[Condition | str] = field(default_factory=list)
    where: list[Condition | str] = field(default_factory=list)
    group_by: list[str | None] = field(default_factory=list)
    having: list[Condition | str] = field(default_factory=list)
    order_by: list[list[str | None]] = field(default_factory=list)
    limit: bool = False
    set_ops: dict[str, SpiderSQL] = field(default_factory=dict)


@dataclass(frozen=True)
class SpiderCounts:
    component1: int
    component2: int
    others: int
    aggregations: int


def _conds(items: list[Condition | str]) -> list[Condition]:
    return [c for c in items if isinstance(c, Condition)]


def _connectives(items: list[Condition | str]) -> list[str]:
    return [c for c in items if isinstance(c, str)]


def count_component1(sql: SpiderSQL) -> int:
    count = sum([bool(sql.where), bool(sql.group_by), bool(sql.order_by), sql.limit])
    if sql.tables > 0:
        count += sql.tables - 1
    all_conds = sql.from_conds + sql.where + sql.having
    count += _connectives(all_conds).count("or")
    count += sum(1 for c in _conds(all_conds) if c.op == "like")
    return count


def count_component2(sql: SpiderSQL) -> int:
    nested = sum(c.nested for c in _conds(sql.from_conds + sql.where + sql.having))
    return nested + len(sql.set_ops)


def count_aggregations(sql: SpiderSQL) -> int:
    count = sum(1 for agg in sql.select if agg)
    count += sum(1 for c in _conds(sql.where) if c.not_op)  # Spider reads the NOT flag here
    count += sum(1 for agg in sql.group_by if agg)
    count += sum(1 for unit in sql.order_by for agg in unit if agg)
    # Spider's count_agg over the whole HAVING list: a connective's first character is not
    # the 'none' aggregate, a condition's first element is its NOT flag.
    count += len(_connectives(sql.having)) + sum(1 for c in _conds(sql.having) if c.not_op)
    return count


def count_others(sql: SpiderSQL) -> int:
    return sum(
        [
            count_aggregations(sql) > 1,
            len(sql.select) > 1,
            len(sql.where) > 1,
            len(sql.group_by) > 1,
        ]
    )


def hardness_of(sql: SpiderSQL) -> tuple[str, SpiderCounts]:
    c1, c2, others = count_component1(sql), count_component2(sql), count_others(sql)
    counts = SpiderCounts(c1, c2, others, count_aggregations(sql))
    if c1 <= 1 and others == 0 and c2 == 0:
        return "easy", counts
    if (others <= 2 and c1 <= 1 and c2 == 0) or (c1 <= 2 and others < 2 and c2 == 0):
        return "medium", counts
    if (
        (others > 2 and c1 <= 2 and c2 == 0)
        or (2 < c1 <= 3 and others <= 2 and c2 == 0)
        or (c1 <= 1 and others == 0 and c2 <= 1)
    ):
        return "hard", counts
    return "extra", counts


def spider_hardness(sql: str, dialect: str = "sqlite") -> tuple[str, SpiderCounts]:
    """Spider's label for ``sql`` and the counts behind it; ValueError if it is not one query."""
    return hardness_of(to_spider(sql, dialect))


# -- from sqlglot's tree to Spider's structure ---------------------------------------------------


def to_spider(sql: str, dialect: str = "sqlite") -> SpiderSQL:
    sqlglot = require("sqlglot", "sql", for_="SQLComponentClassifier")
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
    except sqlglot.errors.ParseError as exc:
        raise ValueError(f"sqlglot cannot parse the query: {str(exc).splitlines()[0]}") from exc
    if len(trees) != 1:
        raise ValueError(f"{len(trees)} statements; one query expected")
    tree = trees[0]
    if not isinstance(tree, sqlglot.exp.Query):
        raise ValueError(f"not a query: {tree.key.upper()} statement")
    return _Converter(sqlglot.exp).query(tree)


class _Converter:
    def __init__(self, exp: Any) -> None:
        self.exp = exp

    def _is(self, node: Any, *names: str) -> bool:
        return type(node).__name__ in names

    def _unwrap(self, node: Any) -> Any:
        while self._is(node, "Paren", "Alias", "Subquery") and node.this is not None:
            if self._is(node, "Subquery") and not isinstance(node.this, self.exp.Query):
                break
            node = node.this
        return node

    def query(self, node: Any) -> SpiderSQL:
        node = self._unwrap(node)
        if isinstance(node, self.exp.SetOperation):
            operands: list[Any] = []
            ops: list[str] = []
            self._flatten_set(node, operands, ops)
            parsed = [self.select(op) for op in operands]
            order, limit = node.args.get("order"), node.args.get("limit")
            if order is not None:
                parsed[-1].order_by = self._order(order)
            if limit is not None or node.args.get("fetch") is not None:
                parsed[-1].limit = True
            for left, op, right in zip(parsed, ops, parsed[1:], strict=False):
                left.set_ops[op] = right
            return parsed[0]
        return self.select(node)

    def _flatten_set(self, node: Any, operands: list[Any], ops: list[str]) -> None:
        node = self._unwrap(node)
        if isinstance(node, self.exp.SetOperation):
            self._flatten_set(node.this, operands, ops)
            ops.append(type(node).__name__.lower())  # union / intersect / except
            self._flatten_set(node.expression, operands, ops)
        else:
            operands.append(node)

    def select(self, node: Any) -> SpiderSQL:
        node = self._unwrap(node)
        out = SpiderSQL()
        if not self._is(node, "Select"):
            return out  # VALUES and the like: nothing Spider counts
        out.select = [self._agg(e) for e in node.expressions]
        source = node.args.get("from_") or node.args.get("from")
        if source is not None:
            out.tables += 1 if source.this is not None else 0
            out.tables += len(source.expressions or [])
        for join in node.args.get("joins") or []:
            out.tables += 1
            on = join.args.get("on")
            if on is not None:
                if out.from_conds:
                    out.from_conds.append("and")
                out.from_conds.extend(self._condition(on))
        where = node.args.get("where")
        if where is not None:
            out.where = self._condition(where.this)
        group = node.args.get("group")
        if group is not None:
            out.group_by = [self._agg(e) for e in group.expressions]
        having = node.args.get("having")
        if having is not None:
            out.having = self._condition(having.this)
        order = node.args.get("order")
        if order is not None:
            out.order_by = self._order(order)
        out.limit = node.args.get("limit") is not None or node.args.get("fetch") is not None
        return out

    def _order(self, order: Any) -> list[list[str | None]]:
        units = []
        for ordered in order.expressions:
            expr = self._unwrap(ordered.this if self._is(ordered, "Ordered") else ordered)
            if self._is(expr, *_ARITHMETIC):
                units.append([self._agg(expr.this), self._agg(expr.expression)])
            else:
                units.append([self._agg(expr)])
        return units

    def _agg(self, node: Any) -> str | None:
        """The Spider aggregate of a unit: the function when the unit *is* MAX/MIN/COUNT/SUM/AVG."""
        node = self._unwrap(node)
        return type(node).__name__.lower() if self._is(node, *_AGGREGATES) else None

    def _condition(self, node: Any) -> list[Condition | str]:
        node = self._unwrap_paren(node)
        name = type(node).__name__
        if name in _CONNECTIVES:
            return [
                *self._condition(node.this),
                _CONNECTIVES[name],
                *self._condition(node.expression),
            ]
        return [self._unit(node)]

    def _unwrap_paren(self, node: Any) -> Any:
        while self._is(node, "Paren"):
            node = node.this
        return node

    def _unit(self, node: Any) -> Condition:
        not_op = False
        if self._is(node, "Not"):
            inner = self._unwrap_paren(node.this)
            if self._is(inner, "Is"):
                node = inner  # x IS NOT NULL: operator IS, no NOT flag (Spider's tokens)
            else:
                not_op, node = True, inner
        if node.args.get("negate"):
            not_op = True  # sqlglot's NOT LIKE / NOT IN spelled as a flag
        op = _COMPARISONS.get(type(node).__name__, "other")
        if op in ("and", "or"):
            op = "other"  # NOT (a AND b): one negated condition
        if op == "exists":
            values = [node.this]
        elif op == "between":
            values = [node.this, node.args.get("low"), node.args.get("high")]
        elif op == "in":
            values = [node.this, node.args.get("query"), *(node.expressions or [])]
        else:
            values = [node.this, node.args.get("expression")]
        nested = sum(1 for v in values if v is not None and self._holds_query(v))
        return Condition(not_op, op, min(nested, 2))

    def _holds_query(self, node: Any) -> bool:
        if isinstance(node, self.exp.Query):
            return True
        return any(isinstance(n, self.exp.Query) for n in node.walk())
