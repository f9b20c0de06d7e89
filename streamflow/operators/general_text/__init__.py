"""DataFlow's general_text domain: rule-based cleaning of any text corpus.

The heuristic filters (after Gopher, C4 and RefinedWeb: counts, word mixes, line shapes,
debris, terms), the text refiners (markup, symbols, normalisation), exact and MinHash
deduplication, and language filtering. No LLM is involved; each name is imported on first use.
"""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        # filters
        "AlphaWordsFilter": "word_ratio_filters",
        "BlocklistFilter": "term_filters",
        "CapitalWordsFilter": "word_ratio_filters",
        "CharNumberFilter": "count_filters",
        "ColonEndFilter": "line_filters",
        "ContentNullFilter": "content_null_filter",
        "CurlyBracketFilter": "debris_filters",
        "HashDeduplicateFilter": "hash_deduplicate_filter",
        "HtmlEntityFilter": "debris_filters",
        "IDCardFilter": "term_filters",
        "LanguageFilter": "language_filter",
        "LineEndWithEllipsisFilter": "line_filters",
        "LineStartWithBulletpointFilter": "line_filters",
        "LineWithJavascriptFilter": "line_filters",
        "LoremIpsumFilter": "debris_filters",
        "MeanWordLengthFilter": "count_filters",
        "MinHashDeduplicateFilter": "minhash_deduplicate_filter",
        "NoPuncFilter": "debris_filters",
        "SentenceNumberFilter": "count_filters",
        "SpecialCharacterFilter": "debris_filters",
        "StopWordFilter": "word_ratio_filters",
        "SymbolWordRatioFilter": "word_ratio_filters",
        "UniqueWordsFilter": "word_ratio_filters",
        "WatermarkFilter": "term_filters",
        "WordNumberFilter": "count_filters",
        # refiners
        "HtmlEntityRefiner": "markup_refiners",
        "HtmlUrlRemoverRefiner": "markup_refiners",
        "LowercaseRefiner": "normalization_refiners",
        "ReferenceRemoverRefiner": "markup_refiners",
        "RemoveEmojiRefiner": "symbol_refiners",
        "RemoveEmoticonsRefiner": "symbol_refiners",
        "RemoveExtraSpacesRefiner": "normalization_refiners",
        "RemoveImageRefsRefiner": "markup_refiners",
        "RemoveNumberRefiner": "symbol_refiners",
        "RemovePunctuationRefiner": "symbol_refiners",
        "RemoveRepetitionsPunctuationRefiner": "symbol_refiners",
        "TextNormalizationRefiner": "normalization_refiners",
    },
)
