"""Prompt templates of the text-to-SQL family.

One template per task, each taking the database engine (``db_engine``: a dialect name such as
``sqlite``, ``postgres``, ``mysql``, ``duckdb``): the SQLite, PostgreSQL and MySQL variants of a
prompt differ only in the dialect notes (:func:`dialect_notes`) and the function hints
(:data:`FUNCTION_HINTS`), as in the paper. Templates choose nothing at random: an operator draws
the complexity, style or variation from its own seeded generator and passes it in, so the same
row always gets the same prompt (which is what makes resume exact).
"""

from __future__ import annotations

import json

from streamflow.prompts.base import PromptTemplate

__all__ = [
    "COMPLEXITY_LEVELS",
    "FUNCTION_HINTS",
    "QUESTION_STYLES",
    "STYLES_WITH_KNOWLEDGE",
    "VARIATION_TYPES",
    "SQLVariationGeneratorPrompt",
    "SelectSQLGeneratorPrompt",
    "Text2SQLCorrespondenceFilterPrompt",
    "Text2SQLCotGeneratorPrompt",
    "Text2SQLPromptGeneratorPrompt",
    "Text2SQLQuestionGeneratorPrompt",
    "dialect_notes",
    "engine_name",
]

_ENGINE_NAMES = {
    "sqlite": "SQLite",
    "postgres": "PostgreSQL",
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "mariadb": "MySQL",
    "duckdb": "DuckDB",
}

_DIALECT_NOTES = {
    "SQLite": (
        "- Quote identifiers that contain spaces or capitals with double quotes.\n"
        "- Dates are text: use strftime('%Y', col), date(col), julianday(col).\n"
        "- Concatenate with ||; there is no ILIKE (LIKE ignores ASCII case).\n"
        "- Dividing two integers truncates: CAST(x AS REAL) / y for a fraction."
    ),
    "PostgreSQL": (
        '- Quote mixed-case identifiers with double quotes ("AlbumId"); unquoted names fold '
        "to lower case.\n"
        "- Dates: EXTRACT(YEAR FROM col), DATE_TRUNC('month', col), TO_CHAR(col, 'YYYY').\n"
        "- Concatenate with ||; ILIKE matches case-insensitively.\n"
        "- Dividing two integers truncates: cast one side to NUMERIC for a fraction."
    ),
    "MySQL": (
        "- Quote identifiers with backticks (`Album`).\n"
        "- Dates: YEAR(col), MONTH(col), DATE_FORMAT(col, '%Y-%m').\n"
        "- Concatenate with CONCAT(a, b); || is not concatenation.\n"
        "- / always gives a decimal; DIV is integer division."
    ),
    "DuckDB": (
        "- Quote identifiers that contain spaces or capitals with double quotes.\n"
        "- Dates: strftime(col, '%Y'), date_part('year', col), date_trunc('month', col).\n"
        "- Concatenate with ||; ILIKE matches case-insensitively.\n"
        "- / is floating-point division; // is integer division."
    ),
}

FUNCTION_HINTS: dict[str, tuple[str, ...]] = {
    "SQLite": (
        "strftime(format, time): formats a date/time text value, e.g. strftime('%Y', d).",
        "julianday(time): the day number of a date, for differences between dates.",
        "IIF(cond, a, b): a when cond holds, else b.",
        "INSTR(s, t): position of t in s (1-based), 0 when absent.",
        "SUBSTR(s, start, length): part of a string.",
        "GROUP_CONCAT(x, sep): the group's values joined into one string.",
        "COALESCE(a, b, ...): the first non-NULL argument.",
        "ROUND(x, n): x rounded to n decimals.",
        "ROW_NUMBER() / RANK() / DENSE_RANK() OVER (...): window rankings.",
        "LAG(x) / LEAD(x) OVER (ORDER BY ...): the previous / next row's value.",
    ),
    "PostgreSQL": (
        "EXTRACT(field FROM ts): a part of a date or timestamp, e.g. EXTRACT(YEAR FROM d).",
        "DATE_TRUNC('month', ts): the timestamp cut down to the month.",
        "STRING_AGG(x, sep): the group's values joined into one string.",
        "COALESCE(a, b, ...): the first non-NULL argument.",
        "NULLIF(a, b): NULL when a = b (avoids division by zero).",
        "ROUND(x::numeric, n): x rounded to n decimals.",
        "FILTER (WHERE cond): restricts one aggregate, e.g. COUNT(*) FILTER (WHERE x > 0).",
        "ROW_NUMBER() / RANK() / DENSE_RANK() OVER (...): window rankings.",
        "LAG(x) / LEAD(x) OVER (ORDER BY ...): the previous / next row's value.",
        "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x): the median.",
    ),
    "MySQL": (
        "YEAR(d) / MONTH(d) / DAY(d): parts of a date.",
        "DATE_FORMAT(d, '%Y-%m'): a date formatted as text.",
        "DATEDIFF(a, b): days between two dates.",
        "GROUP_CONCAT(x SEPARATOR sep): the group's values joined into one string.",
        "IFNULL(a, b) / COALESCE(a, b, ...): the first non-NULL argument.",
        "IF(cond, a, b): a when cond holds, else b.",
        "ROUND(x, n): x rounded to n decimals.",
        "CONCAT(a, b, ...): strings joined.",
        "ROW_NUMBER() / RANK() / DENSE_RANK() OVER (...): window rankings.",
        "LAG(x) / LEAD(x) OVER (ORDER BY ...): the previous / next row's value.",
    ),
    "DuckDB": (
        "date_part('year', d): a part of a date.",
        "date_trunc('month', ts): the timestamp cut down to the month.",
        "string_agg(x, sep): the group's values joined into one string.",
        "COALESCE(a, b, ...): the first non-NULL argument.",
        "ROUND(x, n): x rounded to n decimals.",
        "median(x) / quantile_cont(x, 0.9): order statistics.",
        "arg_max(x, y): the x of the row with the largest y.",
        "ROW_NUMBER() / RANK() / DENSE_RANK() OVER (...): window rankings.",
        "LAG(x) / LEAD(x) OVER (ORDER BY ...): the previous / next row's value.",
        "COUNT(*) FILTER (WHERE cond): restricts one aggregate.",
    ),
}


def engine_name(db_engine: str) -> str:
    """The engine's display name (``SQLite``, ``PostgreSQL``, ``MySQL``, ``DuckDB``)."""
    return _ENGINE_NAMES.get(db_engine.lower(), db_engine)


def dialect_notes(db_engine: str) -> str:
    """What a query writer must know about ``db_engine``'s SQL (empty for an unknown engine)."""
    return _DIALECT_NOTES.get(engine_name(db_engine), "")


def _notes_block(db_engine: str) -> str:
    notes = dialect_notes(db_engine)
    return f"Notes on {engine_name(db_engine)} SQL:\n{notes}\n\n" if notes else ""


def _values_block(insert_statements: list[str]) -> str:
    if not insert_statements:
        return ""
    return (
        "Sample rows (use their values to write realistic conditions):\n"
        + "\n".join(insert_statements)
        + "\n\n"
    )


COMPLEXITY_LEVELS: dict[str, str] = {
    "Simple": (
        "One table, no joins. Filters, sorting and plain aggregates (COUNT, SUM, AVG, MIN, MAX) "
        "are fine.\nFor example: SELECT name FROM employee WHERE age > 30 ORDER BY name;"
    ),
    "Moderate": (
        "Joins between two or three tables, GROUP BY with aggregates, HAVING, a subquery in "
        "WHERE, or conditions with IN, BETWEEN or LIKE.\nFor example: SELECT d.name, "
        "AVG(e.salary) FROM employee e JOIN department d ON d.id = e.department_id "
        "GROUP BY d.name HAVING AVG(e.salary) > 50000;"
    ),
    "Complex": (
        "Nested subqueries, several kinds of join (including a self-join), window functions "
        "(ROW_NUMBER, RANK), a common table expression, or several aggregates with combined "
        "WHERE and HAVING conditions.\nFor example: WITH ranked AS (SELECT id, department_id, "
        "RANK() OVER (PARTITION BY department_id ORDER BY salary DESC) AS r FROM employee) "
        "SELECT department_id, COUNT(*) FROM ranked WHERE r <= 3 GROUP BY department_id;"
    ),
    "Highly Complex": (
        "Several common table expressions (possibly recursive), subqueries combined with "
        "joins, window functions over partitions, UNION/INTERSECT/EXCEPT, CASE logic: a real "
        "analysis in one query.\nFor example: a recursive CTE walking a reporting hierarchy, "
        "joined to per-department statistics from a second CTE, with a running total."
    ),
}
"""DataFlow's four complexity levels of generated queries, with what each allows."""


class SelectSQLGeneratorPrompt(PromptTemplate):
    """Asks for one new SELECT query over a schema, at a given complexity level.

    ``focus_column`` (``table.column``), when given, is a column the query must use: what
    SQLByColumnGenerator asks for.
    """

    def build_prompt(
        self,
        create_statements: list[str],
        insert_statements: list[str],
        db_engine: str,
        complexity: str,
        column_count: int,
        functions: list[str] | None = None,
        focus_column: str = "",
    ) -> str:
        engine = engine_name(db_engine)
        if functions:
            hints = "Functions you might use (others are fine too):\n" + "\n".join(
                f"- {f}" for f in functions
            )
        else:
            hints = f"You may use any function {engine} supports."
        focus = f"The query must use the column {focus_column}.\n" if focus_column else ""
        return (
            f"Write one new, executable {engine} query for the database below.\n\n"
            "Schema:\n" + "\n\n".join(create_statements) + "\n\n"
            f"{_values_block(insert_statements)}"
            f"{hints}\n\n"
            f"{_notes_block(db_engine)}"
            f"Complexity: {complexity}. {COMPLEXITY_LEVELS.get(complexity, '')}\n\n"
            "Requirements:\n"
            f"- Use {engine} syntax; read data only (a SELECT or WITH query).\n"
            "- Use only tables and columns that exist in the schema.\n"
            "- Answer a question a real analyst could ask; avoid trivial or pointless queries.\n"
            f"- The query returns exactly {column_count} column(s).\n"
            f"{focus}\n"
            "Think it through briefly, then give the query in a ```sql code block."
        )


VARIATION_TYPES: dict[str, str] = {
    "Data Value Transformations": (
        "Change the filter values, date ranges or numeric thresholds, the sort order or the "
        "LIMIT, or aggregate at another granularity."
    ),
    "Query Structure Modifications": (
        "Express it differently: aggregation as a window function or back, a subquery as a CTE, "
        "a JOIN as EXISTS/IN or back, a correlated subquery as an uncorrelated one."
    ),
    "Business Logic Changes": (
        "Ask a neighbouring business question over the same tables: another measure (a sum "
        "becomes an average or a share), another grouping, another point of view."
    ),
    "Complexity Enhancements": (
        "Make it richer: more conditions, another joined table, CASE logic, or a check on "
        "data quality (NULLs, duplicates)."
    ),
    "Advanced SQL Features": (
        "Use more advanced SQL: partitioned window functions, UNION/INTERSECT/EXCEPT, a "
        "recursive CTE for hierarchical data, or a pivot written with CASE."
    ),
    "Performance and Optimization": (
        "Rewrite it to be cheaper to run: filter early, avoid repeated subqueries, let indexed "
        "key columns drive the joins, while keeping the same answer."
    ),
}
"""DataFlow's six variation strategies for SQLVariationGenerator."""


class SQLVariationGeneratorPrompt(PromptTemplate):
    """Asks for a variant of an existing query, following one variation strategy."""

    def build_prompt(
        self,
        original_sql: str,
        create_statements: list[str],
        insert_statements: list[str],
        db_engine: str,
        variation: str,
    ) -> str:
        engine = engine_name(db_engine)
        return (
            f"Write a new {engine} query by varying the original query below.\n\n"
            "Schema:\n" + "\n\n".join(create_statements) + "\n\n"
            f"{_values_block(insert_statements)}"
            f"Original query:\n```sql\n{original_sql.strip()}\n```\n\n"
            f"Variation: {variation}. {VARIATION_TYPES.get(variation, '')}\n\n"
            f"{_notes_block(db_engine)}"
            "Requirements:\n"
            f"- Valid {engine} syntax; read data only (a SELECT or WITH query).\n"
            "- Use only tables and columns that exist in the schema.\n"
            "- The new query must make sense on its own and run on this database.\n\n"
            "Think it through briefly, then give the new query in a ```sql code block."
        )


QUESTION_STYLES: dict[str, str] = {
    "Formal": "Standard grammar and vocabulary. E.g. 'List the names of employees older than 30.'",
    "Colloquial": (
        "Relaxed, everyday wording. E.g. 'Hey, who are the folks over 30 here? Just need names.'"
    ),
    "Imperative": "A command. E.g. 'Give me the names of all employees older than 30.'",
    "Interrogative": "A question. E.g. 'Which employees are older than 30?'",
    "Descriptive": (
        "Describes the need with context. E.g. 'For a staffing review I need the names of "
        "every employee over 30.'"
    ),
    "Concise": "As short as possible. E.g. 'Employees over 30: names.'",
    "Vague": (
        "Leaves something to infer, explained in the external knowledge. E.g. 'Who are the "
        "senior staff?' (external knowledge: senior staff means age > 30)."
    ),
    "Metaphorical": (
        "Uses a figure of speech, explained in the external knowledge. E.g. 'Who has seen more "
        "than thirty summers?' (external knowledge: thirty summers means age > 30)."
    ),
}
"""DataFlow's eight question styles; Vague and Metaphorical come with external knowledge."""
STYLES_WITH_KNOWLEDGE = frozenset({"Vague", "Metaphorical"})


class Text2SQLQuestionGeneratorPrompt(PromptTemplate):
    """Asks for the natural-language question a query answers, in a given style.

    The answer holds tagged sections: ``[EXPLANATION-START] ... [EXPLANATION-END]``,
    ``[QUESTION-START] ... [QUESTION-END]`` and, for the Vague and Metaphorical styles,
    ``[EXTERNAL-KNOWLEDGE-START] ... [EXTERNAL-KNOWLEDGE-END]``.
    """

    def build_prompt(
        self,
        sql: str,
        db_engine: str,
        style: str,
        column_info: dict[str, str] | None = None,
    ) -> str:
        knowledge = style in STYLES_WITH_KNOWLEDGE
        columns = (
            "Column descriptions:\n"
            + json.dumps(column_info, indent=2, ensure_ascii=False)
            + "\n\n"
            if column_info
            else ""
        )
        sections = (
            "[EXPLANATION-START]\nwhat the query does\n[EXPLANATION-END]\n"
            "[QUESTION-START]\nthe question\n[QUESTION-END]\n"
        )
        if knowledge:
            sections += (
                "[EXTERNAL-KNOWLEDGE-START]\nwhat the question leaves implicit, as short "
                "entries separated by semicolons\n[EXTERNAL-KNOWLEDGE-END]\n"
            )
        return (
            f"Here is a {engine_name(db_engine)} query. Write the natural-language question it "
            "answers.\n\n"
            f"```sql\n{sql.strip()}\n```\n\n"
            f"{columns}"
            f"Style: {style}. {QUESTION_STYLES.get(style, '')}\n\n"
            "Steps:\n"
            "1. Explain what the query does, column by column and condition by condition.\n"
            "2. Write one question whose exact answer is the query's result: mention every "
            "selected column, every filter, the ordering and any LIMIT.\n"
            + (
                "3. Put the knowledge needed to decode the vague or figurative wording into "
                "the external knowledge section.\n"
                if knowledge
                else ""
            )
            + f"\nAnswer in exactly these sections:\n{sections}"
        )


class Text2SQLCorrespondenceFilterPrompt(PromptTemplate):
    """Asks a judge whether a query answers a question; the verdict is
    ``<Conclusion> YES </Conclusion>`` or ``NO`` inside a code block."""

    def build_prompt(self, question: str, sql: str, db_details: str) -> str:
        return (
            "Does the SQL query answer the question, given the database schema?\n\n"
            f"Question:\n{question.strip()}\n\n"
            f"SQL:\n```sql\n{sql.strip()}\n```\n\n"
            f"Schema:\n{db_details}\n\n"
            "Check that:\n"
            "1. the query asks for what the question asks (no more, no less);\n"
            "2. it uses the right tables, columns and joins of this schema;\n"
            "3. every condition, grouping, ordering and limit in the question is in the query;\n"
            "4. no logic error would change the answer.\n\n"
            "Reason briefly, then end with the verdict in a code block, YES if the query answers "
            "the question and NO otherwise, even when unsure:\n"
            "```\n<Conclusion> YES </Conclusion>\n```"
        )


class Text2SQLPromptGeneratorPrompt(PromptTemplate):
    """The training prompt: schema (M-Schema), question and evidence, and the engine's notes.
    This is the prompt the generated data teaches a model to answer."""

    def build_prompt(self, db_details: str, question: str, evidence: str, db_engine: str) -> str:
        engine = engine_name(db_engine)
        asked = f"{evidence.strip()}\n{question.strip()}" if evidence else question.strip()
        return (
            f"You are an expert in {engine} SQL. Read the database schema and write one query "
            "that answers the question.\n\n"
            f"Database engine:\n{engine}\n\n"
            f"Database schema:\n{db_details}\n"
            "(tables and columns with types, keys, example values and foreign keys)\n\n"
            f"{_notes_block(db_engine)}"
            f"Question:\n{asked}\n\n"
            "Instructions:\n"
            "- Return exactly the information the question asks for: no extra columns, none "
            "missing.\n"
            "- Think through the steps before writing the final query.\n\n"
            "Give the final query in a code block:\n```sql\n-- your query\n```"
        )


class Text2SQLCotGeneratorPrompt(PromptTemplate):
    """Asks for a step-by-step solution ending in a query, given a reference query the answer
    must not mention (it only steers the reasoning)."""

    def build_prompt(
        self, schema_str: str, question: str, sql: str, evidence: str, db_engine: str = "sqlite"
    ) -> str:
        engine = engine_name(db_engine)
        asked = f"{question.strip()}\n{evidence.strip()}" if evidence else question.strip()
        return (
            f"You are a senior data analyst. Turn the question into an executable {engine} "
            "query, reasoning step by step.\n\n"
            f"Schema:\n{schema_str}\n\n"
            f"{_notes_block(db_engine)}"
            f"Question:\n{asked}\n\n"
            "A colleague's query, which may be right or wrong (it may select too much, join too "
            "much, miss the question or be needlessly complicated); use it only as a hint and "
            f"never mention it:\n```sql\n{sql.strip()}\n```\n\n"
            "Work through the tables, columns, joins and conditions the question needs, then "
            "give your final query in a ```sql code block."
        )
