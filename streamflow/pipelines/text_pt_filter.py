"""text_pt_filter: clean a pre-training corpus with rules only (DataFlow's CPU ``text_pt_filter``).

DataFlow's pipeline step for step: three refiners (emoji, HTML/URL removal, extra spaces),
MinHash near-duplicate removal (5-gram shingles, 128 permutations, Jaccard 0.9), the blocklist,
a word count (20 to 100,000), and seventeen rule filters after Gopher, C4 and RefinedWeb (colon
endings, sentence count, ellipsis lines, empty content, mean word length, symbol ratio, HTML
entities, missing punctuation, special characters, watermarks, curly brackets, capitalised
words, lorem ipsum, unique words, character count, bullet lines, JavaScript lines), with
DataFlow's thresholds. Every dropped document records which filter dropped it and why
(``streamflow status``), and the MinHash index lives in the run directory, so a later run on new
documents deduplicates against earlier ones. By default it reads a sample shipped with
streamflow::

    streamflow run text_pt_filter --input pages.jsonl --output kept.jsonl
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from streamflow.operators.general_text import (
    BlocklistFilter,
    CapitalWordsFilter,
    CharNumberFilter,
    ColonEndFilter,
    ContentNullFilter,
    CurlyBracketFilter,
    HtmlEntityFilter,
    HtmlUrlRemoverRefiner,
    LineEndWithEllipsisFilter,
    LineStartWithBulletpointFilter,
    LineWithJavascriptFilter,
    LoremIpsumFilter,
    MeanWordLengthFilter,
    MinHashDeduplicateFilter,
    NoPuncFilter,
    RemoveEmojiRefiner,
    RemoveExtraSpacesRefiner,
    SentenceNumberFilter,
    SpecialCharacterFilter,
    SymbolWordRatioFilter,
    UniqueWordsFilter,
    WatermarkFilter,
    WordNumberFilter,
)
from streamflow.pipeline import Pipeline
from streamflow.storage import FileStorage

__all__ = ["SAMPLE", "TextPTFilterPipeline", "rule_steps"]

SAMPLE = Path(str(resources.files("streamflow.pipelines") / "samples" / "text_pt"))


def rule_steps() -> list[tuple[str, Any]]:
    """DataFlow's CPU chain, in its order: (attribute name, operator)."""
    return [
        ("remove_emoji_refiner", RemoveEmojiRefiner()),
        ("html_remove_refiner", HtmlUrlRemoverRefiner()),
        ("remove_extra_spaces_refiner", RemoveExtraSpacesRefiner()),
        (
            "minhash_deduplicator",
            MinHashDeduplicateFilter(
                shingle_size=5, num_perm=128, bands=16, rows_per_band=8, threshold=0.9
            ),
        ),
        ("blocklist_filter", BlocklistFilter()),
        ("word_number_filter", WordNumberFilter(min_words=20, max_words=100000)),
        ("colon_end_filter", ColonEndFilter()),
        ("sentence_number_filter", SentenceNumberFilter(min_sentences=3, max_sentences=7500)),
        ("line_end_with_ellipsis_filter", LineEndWithEllipsisFilter(threshold=0.3)),
        ("content_null_filter", ContentNullFilter()),
        ("mean_word_length_filter", MeanWordLengthFilter(min_length=3, max_length=10)),
        ("symbol_word_ratio_filter", SymbolWordRatioFilter(threshold=0.4)),
        ("html_entity_filter", HtmlEntityFilter()),
        ("no_punc_filter", NoPuncFilter(threshold=112)),
        ("special_character_filter", SpecialCharacterFilter()),
        (
            "watermark_filter",
            WatermarkFilter(watermarks=["Copyright", "Watermark", "Confidential"]),
        ),
        ("curly_bracket_filter", CurlyBracketFilter(threshold=0.025)),
        ("capital_words_filter", CapitalWordsFilter(threshold=0.2, use_tokenizer=False)),
        ("lorem_ipsum_filter", LoremIpsumFilter(threshold=3e-8)),
        ("unique_words_filter", UniqueWordsFilter(threshold=0.1)),
        ("char_number_filter", CharNumberFilter(threshold=100)),
        ("line_start_with_bulletpoint_filter", LineStartWithBulletpointFilter(threshold=0.9)),
        ("line_with_javascript_filter", LineWithJavascriptFilter(threshold=3)),
    ]


class TextPTFilterPipeline(Pipeline):
    """Refiners -> MinHash -> blocklist -> word count -> 17 rule filters, on ``input_key``."""

    def __init__(self, input_key: str = "raw_content") -> None:
        self.storage = FileStorage(
            str(SAMPLE / "pt_input.jsonl"), output_file="text_pt_filter.jsonl"
        )
        self.input_key = input_key
        self.steps = rule_steps()
        for name, op in self.steps:
            setattr(self, name, op)

    def forward(self) -> None:
        for _, op in self.steps:
            op.run(self.storage.step(), input_key=self.input_key)
