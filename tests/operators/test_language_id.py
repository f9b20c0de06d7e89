"""Language identification: labels and confidences from the shipped model, the filter's reasons,
DataFlow's fastText label spelling, and the real pages of ../shared."""

from __future__ import annotations

import pytest

from streamflow import OPERATORS
from streamflow.operators.general_text import LanguageFilter
from streamflow.operators.language_id import identify
from streamflow.operators.web import LanguageIdentifier
from streamflow.testing import apply

PROSE = {
    "en": "The river flows slowly through the old town, past the market and the bridge, "
    "where children play in the evening while their parents talk about the day.",
    "de": "Der Fluss fließt langsam durch die alte Stadt, vorbei am Markt und an der Brücke, "
    "wo die Kinder am Abend spielen, während ihre Eltern über den Tag sprechen.",
    "fr": "La rivière coule lentement à travers la vieille ville, devant le marché et le pont, "
    "où les enfants jouent le soir pendant que leurs parents parlent de la journée.",
    "zh": "河水缓缓流过古老的小镇，经过市场和桥梁，傍晚孩子们在那里玩耍，父母们谈论着这一天。",
    "ja": "川は古い町をゆっくりと流れ、市場と橋を通り過ぎ、夕方には子供たちが遊んでいます。",
}


@pytest.mark.parametrize("language", sorted(PROSE))
def test_identifies_prose_with_high_confidence(language):
    label, score = identify(PROSE[language])
    assert label == language
    assert score > 0.9


def test_text_without_letters_has_no_language():
    assert identify("") == ("", 0.0)
    assert identify("12345 -- 67.89 !!!") == ("", 0.0)


def test_filter_keeps_allowed_languages_and_says_why_it_drops():
    rows = [{"text": PROSE[lang]} for lang in ("en", "de", "fr")] + [{"text": "2024-01-01"}]
    outcome = apply(LanguageFilter(["en", "__label__de"]), rows, input_key="text")
    assert [row["text"] for row in outcome.batch.rows] == [PROSE["en"], PROSE["de"]]
    reasons = [d.reason for d in outcome.dropped]
    assert reasons[0].startswith("language fr (") and reasons[0].endswith(") not in de, en")
    assert reasons[1] == "no language: the text has no letters"


def test_dataflows_default_model_labels_and_arguments_are_accepted():
    rows = [{"text": PROSE[lang]} for lang in ("en", "zh", "fr")]
    op = LanguageFilter(["__label__eng_Latn", "__label__zho_Hans"], model_cache_dir="./cache")
    outcome = apply(op, rows, input_key="text")
    assert [row["text"] for row in outcome.batch.rows] == [PROSE["en"], PROSE["zh"]]


def test_filter_drops_low_confidence_and_writes_label_and_score():
    fragment = "Hello."  # too short to be sure of
    label, score = identify(fragment)
    assert score < 0.5
    rows = [{"text": fragment}, {"text": PROSE["en"]}]
    outcome = apply(
        LanguageFilter([label, "en"], min_score=0.65),
        rows,
        input_key="text",
        output_language_key="lang",
        output_score_key="lang_score",
    )
    assert [d.reason for d in outcome.dropped] == [f"language {label} score {score:.2f} < 0.65"]
    (kept,) = outcome.batch.rows
    assert kept["lang"] == "en" and kept["lang_score"] > 0.9
    assert kept["language_label"] == 1  # DataFlow's keep label, under DataFlow's name
    assert rows[0]["language_label"] == 0


def test_filter_writes_dataflows_label_by_default_and_nothing_when_unbound():
    rows = [{"text": PROSE["en"]}, {"text": PROSE["de"]}]
    outcome = apply(LanguageFilter(["en"]), rows, input_key="text")
    assert outcome.batch.rows == [{"text": PROSE["en"], "language_label": 1}]
    assert LanguageFilter.hook_keys()["output_key"] == "language_label"
    rows = [{"text": PROSE["en"]}]
    outcome = apply(LanguageFilter(["en"]), rows, input_key="text", output_key=None)
    assert outcome.batch.rows == [{"text": PROSE["en"]}]


def test_filter_rejects_bad_parameters():
    with pytest.raises(ValueError, match="allowed_languages is empty"):
        LanguageFilter([])
    with pytest.raises(ValueError, match="min_score must lie in"):
        LanguageFilter(["en"], min_score=1.5)
    assert LanguageFilter("en").allowed == {"en"}


def test_identifier_annotates_every_row():
    rows = [{"text": PROSE["fr"]}, {"text": "..."}]
    outcome = apply(LanguageIdentifier(), rows, input_key="text")
    assert [(r["language"], r["language_score"] > 0.9) for r in outcome.batch.rows] == [
        ("fr", True),
        ("", False),
    ]
    assert OPERATORS.info("LanguageIdentifier").kind == "generator"


def test_only_the_first_max_chars_are_read():
    mixed = PROSE["de"] + " " + PROSE["en"] * 20
    assert identify(mixed, max_chars=len(PROSE["de"]))[0] == "de"
    assert identify(mixed)[0] == "en"


def test_real_pages_are_identified(shared_data):
    trafilatura = pytest.importorskip("trafilatura")
    from streamflow.io.html import decode_html

    pages = sorted((shared_data / "web-pages").glob("*.html"))
    labels = {}
    for page in pages:
        text = trafilatura.extract(decode_html(page.read_bytes())) or ""
        if len(text) > 500:
            labels[page.name] = identify(text)
    assert len(labels) > 50
    # The corpus is mostly German and English news: long texts are identified confidently,
    # except Chinese lyrics interleaved with their pinyin, which mixes two writing systems.
    assert {label for label, _ in labels.values()} >= {"de", "en"}
    unsure = {name for name, (_, score) in labels.items() if score <= 0.9}
    assert unsure <= {"chineselyrics4u.com.zhineng.html"}, unsure
    assert labels["chineselyrics4u.com.zhineng.html"][0] == "zh"
