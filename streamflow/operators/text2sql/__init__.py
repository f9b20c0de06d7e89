"""DataFlow's text2sql domain: synthesizing text-to-SQL training data from databases.

Queries are generated from schemas (SQLGenerator, SQLByColumnGenerator) or varied from seeds
(SQLVariationGenerator), kept only if the database accepts them (SQLExecutabilityFilter,
SQLExecutionFilter), given questions (Text2SQLQuestionGenerator) that an LLM judge checks
(Text2SQLCorrespondenceFilter), turned into training prompts (Text2SQLPromptGenerator) with
reasoning traces chosen by execution vote (Text2SQLCoTGenerator, Text2SQLCoTVotingGenerator),
and labelled by Spider's hardness and by how often a model gets them right
(SQLComponentClassifier, SQLExecutionClassifier). Every operator takes a ``database_manager``
(:class:`streamflow.databases.DatabaseManager`); queries run read-only and time-limited.
Needs ``pip install 'streamflow-data[sql]'``.
"""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "SQLGenerator": "sql_generator",
        "SQLByColumnGenerator": "sql_by_column_generator",
        "SQLVariationGenerator": "sql_variation_generator",
        "SQLExecutabilityFilter": "sql_executability_filter",
        "SQLExecutionFilter": "sql_execution_filter",
        "Text2SQLQuestionGenerator": "text2sql_question_generator",
        "Text2SQLCorrespondenceFilter": "text2sql_correspondence_filter",
        "Text2SQLPromptGenerator": "text2sql_prompt_generator",
        "Text2SQLCoTGenerator": "text2sql_cot_generator",
        "Text2SQLCoTVotingGenerator": "text2sql_cot_voting_generator",
        "SQLComponentClassifier": "sql_component_classifier",
        "SQLExecutionClassifier": "sql_execution_classifier",
    },
    prompts={
        "SelectSQLGeneratorPrompt": "prompts",
        "SQLVariationGeneratorPrompt": "prompts",
        "Text2SQLQuestionGeneratorPrompt": "prompts",
        "Text2SQLCorrespondenceFilterPrompt": "prompts",
        "Text2SQLPromptGeneratorPrompt": "prompts",
        "Text2SQLCotGeneratorPrompt": "prompts",
    },
)
