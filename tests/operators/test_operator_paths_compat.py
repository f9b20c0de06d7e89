"""streamflow 0.1's import paths (``operators.text.*``, ``operators.general.*``) still work and
give the very objects of the new homes."""

from __future__ import annotations

import importlib

import pytest

from streamflow.operators.registry import OPERATORS, domains

OLD_NAMES = {
    "text.filters": "Score Verdict ColonEndFilter SentenceNumberFilter LineEndWithEllipsisFilter "
    "ContentNullFilter SymbolWordRatioFilter AlphaWordsFilter HtmlEntityFilter IDCardFilter "
    "NoPuncFilter SpecialCharacterFilter WatermarkFilter MeanWordLengthFilter StopWordFilter "
    "CurlyBracketFilter CapitalWordsFilter LoremIpsumFilter UniqueWordsFilter CharNumberFilter "
    "LineStartWithBulletpointFilter LineWithJavascriptFilter WordNumberFilter BlocklistFilter "
    "_RuleFilter",
    "text.refiners": "TextRefiner HtmlEntityRefiner HtmlUrlRemoverRefiner LowercaseRefiner "
    "RemoveExtraSpacesRefiner RemoveEmojiRefiner RemoveEmoticonsRefiner RemovePunctuationRefiner "
    "RemoveNumberRefiner RemoveRepetitionsPunctuationRefiner RemoveImageRefsRefiner "
    "ReferenceRemoverRefiner TextNormalizationRefiner",
    "text.html": "HtmlTextExtractor",
    "text.language": "DEFAULT_MAX_CHARS identify LanguageFilter LanguageIdentifier",
    "text.pii": "PIIRefiner",
    "text.web_quality": "Verdict Measure Rules web_words GOPHER_STOP_WORDS GopherQualityFilter "
    "GOPHER_TOP_NGRAMS GOPHER_DUP_NGRAMS GopherRepetitionFilter C4_POLICY_PHRASES C4_END_MARKS "
    "C4QualityFilter C4LineRefiner FINEWEB_STOP_CHARS FineWebQualityFilter read_domain_list "
    "UrlBlocklistFilter _WebFilter",
    "text._words": "WORD_TOKEN WORD_PUNCT tokenize read_word_list bundled_word_list "
    "english_stopwords",
    "general.dedup": "DIGEST_SIZE normalized HashDeduplicateFilter",
    "general.fields": "FieldRemover",
    "general.llm": "DEFAULT_SYSTEM_PROMPT DEFAULT_JUDGE_PROMPT default_serving ask_each "
    "has_content PromptedGenerator PromptedRefiner PromptedEvaluator PromptedFilter "
    "FormatStrPromptedGenerator ChunkedPromptedGenerator JsonPromptedGenerator parse_score "
    "parse_json_object split_by_tokens _LLMOperator LLMOperator _prompts _with _no_score",
    "general.minhash": "words shingles MinHasher MinHashDeduplicateFilter",
}
"""Every public name each 0.1 module defined (and the private ones code may have borrowed)."""

NEW_DOMAIN = {
    "text.filters": "general_text",
    "text.refiners": "general_text",
    "text.html": "web",
    "text.pii": "web",
    "text.web_quality": "web",
    "general.dedup": "general_text",
    "general.minhash": "general_text",
    "general.fields": "core_text",
    "general.llm": "core_text",
}


@pytest.mark.parametrize("path", sorted(OLD_NAMES))
def test_every_old_name_still_imports(path):
    module = importlib.import_module(f"streamflow.operators.{path}")
    missing = [n for n in OLD_NAMES[path].split() if not hasattr(module, n)]
    assert missing == []


@pytest.mark.parametrize("path", sorted(NEW_DOMAIN))
def test_old_operators_are_the_new_classes(path):
    module = importlib.import_module(f"streamflow.operators.{path}")
    operators = [n for n in OLD_NAMES[path].split() if OPERATORS.is_builtin(n)]
    assert operators
    for name in operators:
        assert getattr(module, name) is OPERATORS.get(name)
        assert OPERATORS.info(name).domain == NEW_DOMAIN[path]


def test_language_operators_went_to_two_domains():
    from streamflow.operators.text import language

    assert OPERATORS.info("LanguageFilter").domain == "general_text"
    assert OPERATORS.info("LanguageIdentifier").domain == "web"
    assert language.LanguageFilter is OPERATORS.get("LanguageFilter")


def test_the_old_packages_are_not_domains():
    assert not {"text", "general"} & {d.name for d in domains()}
