"""DataFlow's rule-based text filters: thresholds on both sides, reasons, scores, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import SHARED, read_jsonl, write_jsonl

from streamflow.operators import general_text as F
from streamflow.operators.registry import OPERATORS
from streamflow.operators.words import english_stopwords, tokenize

DEFAULTS: dict[str, dict[str, Any]] = {
    "ColonEndFilter": {},
    "SentenceNumberFilter": {"min_sentences": 3, "max_sentences": 7500},
    "LineEndWithEllipsisFilter": {"threshold": 0.3},
    "ContentNullFilter": {},
    "SymbolWordRatioFilter": {"threshold": 0.4},
    "AlphaWordsFilter": {"threshold": 0.6, "use_tokenizer": False},
    "HtmlEntityFilter": {},
    "IDCardFilter": {"threshold": 3},
    "NoPuncFilter": {"threshold": 112},
    "SpecialCharacterFilter": {},
    "WatermarkFilter": {"watermarks": ("Copyright", "Watermark", "Confidential")},
    "MeanWordLengthFilter": {"min_length": 3, "max_length": 10},
    "StopWordFilter": {"threshold": 0.06, "use_tokenizer": False},
    "CurlyBracketFilter": {"threshold": 0.025},
    "CapitalWordsFilter": {"threshold": 0.2, "use_tokenizer": False},
    "LoremIpsumFilter": {"threshold": 3e-8},
    "UniqueWordsFilter": {"threshold": 0.1},
    "CharNumberFilter": {"threshold": 100},
    "LineStartWithBulletpointFilter": {"threshold": 0.9},
    "LineWithJavascriptFilter": {"threshold": 3},
    "WordNumberFilter": {"min_words": 20, "max_words": 100000},
    "BlocklistFilter": {
        "language": "en",
        "threshold": 1,
        "use_tokenizer": False,
        "blocklist_path": None,
        "words": None,
    },
}
NAMES = sorted(DEFAULTS)


def make(name: str) -> Any:
    """The filter registered under ``name``, typed loosely: tests call its ``process``."""
    return OPERATORS.get(name)()


def one(op: Any, text: str) -> tuple[Any, Any]:
    """(verdict, measured value) of ``op`` on ``text``."""
    row = {"text": text}
    [verdict] = op.process([row], input_key="text", output_key=None, output_score_key="score")
    return verdict, row["score"]


def kept(op: Any, text: str) -> bool:
    verdict, _ = one(op, text)
    return verdict is True


def reason(op: Any, text: str) -> str:
    verdict, _ = one(op, text)
    assert isinstance(verdict, tuple), f"{text!r} was kept"
    keep, why = verdict
    assert keep is False and why
    return str(why)


def words(n: int, word: str = "word") -> str:
    return " ".join([word] * n)


# -- contract shared by every filter ------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_registered_under_dataflow_name_with_dataflow_defaults(name):
    op_class = OPERATORS.get(name)
    assert op_class is getattr(F, name)
    assert op_class.kind == "filter"
    assert op_class().config == DEFAULTS[name]
    assert OPERATORS.info(name).domain == "general_text"


@pytest.mark.parametrize("name", NAMES)
def test_missing_field_raises_key_error_naming_operator_and_key(name):
    with pytest.raises(KeyError, match=f"{name}.*'text'"):
        make(name).process([{"other": "x"}], input_key="text")


@pytest.mark.parametrize("name", NAMES)
def test_non_string_raises_type_error_naming_operator_and_key(name):
    with pytest.raises(TypeError, match=f"{name}.*'text'.*int"):
        make(name).process([{"text": 5}], input_key="text")


@pytest.mark.parametrize("name", NAMES)
def test_empty_text_is_dropped_with_a_reason(name):
    [verdict] = make(name).process([{"text": ""}], input_key="text")
    assert verdict[0] is False and verdict[1]


# DataFlow's run() default output_key of each filter (dataflow/operators/general_text/filter/).
DATAFLOW_LABELS = {
    "ColonEndFilter": "colonendfilter_label",
    "SentenceNumberFilter": "sentence_number_filter_label",
    "LineEndWithEllipsisFilter": "line_end_with_ellipsis_filter_label",
    "ContentNullFilter": "content_null_filter_label",
    "SymbolWordRatioFilter": "symbol_word_ratio_filter_label",
    "AlphaWordsFilter": "alpha_words_filter_label",
    "HtmlEntityFilter": "html_entity_filter_label",
    "IDCardFilter": "id_card_filter_label",
    "NoPuncFilter": "no_punc_filter_label",
    "SpecialCharacterFilter": "special_character_filter_label",
    "WatermarkFilter": "watermark_filter_label",
    "MeanWordLengthFilter": "mean_word_length_filter_label",
    "StopWordFilter": "stop_word_filter_label",
    "CurlyBracketFilter": "curly_bracket_filter_label",
    "CapitalWordsFilter": "capital_words_filter",
    "LoremIpsumFilter": "loremipsum_filter_label",
    "UniqueWordsFilter": "unique_words_filter",
    "CharNumberFilter": "char_number_filter_label",
    "LineStartWithBulletpointFilter": "line_start_with_bullet_point_filter_label",
    "LineWithJavascriptFilter": "line_with_javascript_filter_label",
    "WordNumberFilter": "word_number_filter_label",
    "BlocklistFilter": "blocklist_filter_label",
}


@pytest.mark.parametrize("name", NAMES)
def test_output_key_defaults_to_dataflow_label_seen_by_the_plan_and_ops_show(name):
    op_class = OPERATORS.get(name)
    assert op_class.hook_keys()["output_key"] == DATAFLOW_LABELS[name]
    params = {p.name: p.default for p in OPERATORS.info(name).keys}
    assert params["output_key"] == repr(DATAFLOW_LABELS[name])


@pytest.mark.parametrize("name", NAMES)
def test_label_by_default_nothing_with_output_key_none_score_on_request(name):
    op = make(name)
    row = {"text": "Some text."}
    op.process([row], input_key="text")
    assert set(row) == {"text", DATAFLOW_LABELS[name]}
    row = {"text": "Some text."}
    op.process([row], input_key="text", output_key=None)
    assert row == {"text": "Some text."}
    if name != "ContentNullFilter":  # it measures nothing
        op.process([row], input_key="text", output_key=None, output_score_key="s")
        assert set(row) == {"text", "s"}


@pytest.mark.parametrize(
    ("op", "keep", "drop", "score"),
    [  # one filter of each rule module: kept rows are labelled 1, dropped ones 0
        (F.StopWordFilter(), "the cat and the dog sat on a mat", "cat dog mat", 5 / 9),
        (F.CharNumberFilter(threshold=5), "abc def", "ab c", 6),
        (F.SpecialCharacterFilter(), "plain words", "bad \ufffd char", 0),
        (F.ColonEndFilter(), "A full stop.", "The list:", 1),
        (F.BlocklistFilter(threshold=0), "a clean line", "what bullshit", 0),
        (F.ContentNullFilter(), "text", "  ", None),
    ],
    ids=["word_ratio", "count", "debris", "line", "term", "content_null"],
)
def test_dataflow_label_is_1_on_kept_rows_and_0_on_dropped_ones(op, keep, drop, score):
    label = op.hook_keys()["output_key"]
    rows: list[dict[str, Any]] = [{"text": keep}, {"text": drop}]
    out = op.process(rows, input_key="text")
    assert out[0] is True and out[1][0] is False
    assert [r[label] for r in rows] == [1, 0]
    if score is not None:
        rows = [{"text": keep}]
        op.process(rows, input_key="text", output_score_key="measured")
        assert rows[0] == {"text": keep, label: 1, "measured": pytest.approx(score)}


def test_a_rule_filter_of_our_own_writes_no_label_unless_asked():
    class NoDigits(F.CharNumberFilter.__mro__[1]):  # the rule-filter base, with no label_key
        def check(self, text):
            n = sum(c.isdigit() for c in text)
            return n, f"{n} digits" if n else None

    rows: list[dict[str, Any]] = [{"text": "abc"}, {"text": "a1"}]
    assert NoDigits.hook_keys()["output_key"] is None
    assert [v is True for v in NoDigits().process(rows, input_key="text")] == [True, False]
    assert rows == [{"text": "abc"}, {"text": "a1"}]
    NoDigits().process(rows, input_key="text", output_key="ok", output_score_key="n")
    assert rows == [{"text": "abc", "ok": 1, "n": 0}, {"text": "a1", "ok": 0, "n": 1}]


def test_word_number_label_holds_the_word_count_as_in_dataflow():
    op = F.WordNumberFilter(min_words=3)
    rows: list[dict[str, Any]] = [{"text": "one two three four"}, {"text": "one two"}, {"text": ""}]
    out = op.process(rows, input_key="text")
    assert out[0] is True and [v[0] for v in out[1:]] == [False, False]
    assert [r["word_number_filter_label"] for r in rows] == [4, 2, 0]


# -- each rule, on both sides of its threshold ---------------------------------------------------


def test_colon_end():
    op = F.ColonEndFilter()
    assert one(op, "The list is long.") == (True, 1)
    assert one(op, "Here is the list:") == ((False, "ends with a colon"), 0)
    assert not kept(op, "Here is the list:  \n")
    assert not kept(op, "清单如下：")
    assert kept(op, "Time 10:30 today")


def test_sentence_number():
    op = F.SentenceNumberFilter()
    assert one(op, "One here. Two here! Three here?") == (True, 3)
    assert reason(op, "One here. Two here.") == "2 sentences < min 3"
    assert kept(op, "一句话。二句话！三句话？")
    assert kept(op, "line one\nline two\nline three")
    small = F.SentenceNumberFilter(min_sentences=1, max_sentences=3)
    assert kept(small, "A. B. C.")
    assert reason(small, "A. B. C. D.") == "4 sentences > max 3"


def test_line_end_with_ellipsis():
    op = F.LineEndWithEllipsisFilter()
    below = "\n".join(["more..."] * 2 + ["done."] * 8)
    at = "\n".join(["more…"] * 3 + ["done."] * 7)
    assert one(op, below) == (True, 0.2)
    assert "0.3 >= max 0.3" in reason(op, at)
    assert one(op, "a...\n\n  \nb\nc\nd") == (True, 0.25)  # blank lines do not count
    assert reason(op, " \n\t") == "no non-blank lines"


def test_content_null():
    op = F.ContentNullFilter()
    rows: list[dict[str, Any]] = [{"t": "x"}, {"t": " \n\t"}, {"t": None}, {"t": ""}]
    out: list[Any] = op.process(rows, input_key="t", output_key="ok")
    assert out[0] is True
    assert [v[0] for v in out[1:]] == [False, False, False]
    assert out[2][1] == "null"
    assert [r["ok"] for r in rows] == [1, 0, 0, 0]


def test_symbol_word_ratio():
    op = F.SymbolWordRatioFilter()
    assert one(op, "# # w1 w2 w3 w4") == (True, 2 / 6)
    assert "0.4 >= max 0.4" in reason(op, "# # w1 w2 w3")
    assert one(op, "end… w") == (True, 1 / 3)
    assert reason(op, "  ") == "no words"


def test_alpha_words():
    op = F.AlphaWordsFilter()
    assert one(op, "a b c d 1 2") == (True, 4 / 6)
    assert "0.6 <= min 0.6" in reason(op, "a b c 1 2")
    assert kept(op, "你好 世界 Straße 42")  # any script's letters count
    assert kept(op, "a, b, c")
    assert not kept(F.AlphaWordsFilter(use_tokenizer=True), "a, b, c")  # commas become words


def test_html_entity():
    op = F.HtmlEntityFilter()
    assert one(op, "fish & chips; a&b") == (True, 0)
    verdict, score = one(op, "fish &amp; chips&nbsp")
    assert score == 2 and "'&amp'" in verdict[1]
    assert not kept(op, "全角 ＆lt； 实体")


def test_id_card():
    op = F.IDCardFilter()
    assert one(op, "my identity and my ID card") == (True, 2)
    assert reason(op, "identity, ID card, ID number") == "3 identity-document terms >= max 3"
    assert one(op, "avoid noise, avoid noise, avoid noise, paid card") == (True, 0)
    assert not kept(op, "身份证 身 份 身份")


def test_no_punc():
    op = F.NoPuncFilter()
    assert one(op, words(112)) == (True, 112)
    assert reason(op, words(113)) == "113 words without punctuation > max 112"
    assert kept(op, words(60) + ", " + words(53))
    assert kept(op, words(60) + "\n" + words(53))


def test_special_character():
    op = F.SpecialCharacterFilter()
    assert one(op, "Plain text, with a question? Yes: fine.") == (True, 0)
    for debris in ("bad � char", "box □", "{/U}", "&#247;", "why ? :", "U+1F600", "u200e"):
        assert not kept(op, debris), debris
    assert kept(op, "left-to-right mark \u200e itself")


def test_watermark():
    op = F.WatermarkFilter()
    assert one(op, "copyright 2024 is lower case") == (True, 0)
    assert reason(op, "Copyright 2024 Copyright") == "watermark 'Copyright' found (2x)"
    literal = F.WatermarkFilter(watermarks=["a.b"])
    assert kept(literal, "axb") and not kept(literal, "a.b")
    assert kept(F.WatermarkFilter(watermarks=[]), "Copyright")


def test_mean_word_length():
    op = F.MeanWordLengthFilter()
    assert one(op, "ab abcd") == (True, 3.0)
    assert reason(op, "ab abc") == "mean word length 2.5 < min 3"
    assert one(op, "abcdefghi abcdefghij") == (True, 9.5)
    assert reason(op, "abcdefghij") == "mean word length 10.0 >= max 10"
    assert one(op, words(249, "abc") + " ab") == (True, 3.0)  # 2.996 rounds to 3.0, as in DataFlow


def test_stop_word():
    op = F.StopWordFilter()
    three_of_49 = "The of and " + words(46)
    three_of_50 = "The of and " + words(47)
    assert kept(op, three_of_49)
    assert "0.06 <= min 0.06" in reason(op, three_of_50)
    assert reason(op, "the the") == "2 stop words <= min 2"
    assert one(op, "the the the") == (True, 1.0)
    assert not kept(op, "Der Hund und die Katze sind im Haus " * 5)  # English-specific


def test_curly_bracket():
    op = F.CurlyBracketFilter()
    assert one(op, "{" + "x" * 40) == (True, 1 / 41)
    assert "0.025 >= max 0.025" in reason(op, "{" + "x" * 39)


def test_capital_words():
    op = F.CapitalWordsFilter()
    assert one(op, "NASA a b c d") == (True, 0.2)
    assert "0.25 > max 0.2" in reason(op, "NASA a b c")
    assert kept(op, "中文 没有 大写")
    assert one(op, " \n ") == (True, 0.0)  # no words is no shouting, as in DataFlow


def test_lorem_ipsum():
    assert one(F.LoremIpsumFilter(), "Plain text.") == (True, 0.0)
    assert "> max 3e-08" in reason(F.LoremIpsumFilter(), "Lorem ipsum dolor sit amet.")
    text = "LOREM IPSUM" + "x" * 89  # one in 100 characters
    assert kept(F.LoremIpsumFilter(threshold=0.01), text)
    assert not kept(F.LoremIpsumFilter(threshold=0.0099), text)


def test_unique_words():
    op = F.UniqueWordsFilter()
    assert one(op, words(8) + " other") == (True, 2 / 9)
    assert kept(op, words(8) + " Word other")
    assert "0.1 <= min 0.1" in reason(op, words(9) + " WORD")  # case-insensitive
    assert reason(op, "\n") == "no words"


def test_char_number():
    op = F.CharNumberFilter()
    assert one(op, "x" * 100) == (True, 100)
    assert reason(op, "x" * 50 + " \n\t\u3000\r" + "x" * 49) == "99 characters < min 100"


def test_line_start_with_bulletpoint():
    op = F.LineStartWithBulletpointFilter()
    nine = "\n".join(["• item"] * 8 + ["  ▪ item", "prose"])
    assert one(op, nine) == (True, 0.9)
    assert "1 > max 0.9" in reason(op, "\n".join(["• item", "  – item"] * 5))
    assert kept(op, "\n".join(["- item"] * 10))  # "-" is not one of DataFlow's bullets


def test_line_with_javascript():
    op = F.LineWithJavascriptFilter()
    js = "Please enable JavaScript."
    assert one(op, "\n".join([js, "a", "b", "c"])) == (True, 3)
    assert reason(op, "\n".join([js, js, "a", "b"])) == "2 lines without 'javascript' < min 3"
    assert kept(op, "\n".join([js, js, js]))  # three lines or fewer always pass
    assert not kept(op, "\n".join([js, js, js, "---", "ok"]))  # punctuation lines do not count


def test_word_number():
    op = F.WordNumberFilter()
    assert one(op, words(20)) == (True, 20)
    assert reason(op, words(19)) == "19 words < min 20"
    few = F.WordNumberFilter(min_words=1, max_words=5)
    assert kept(few, words(4))
    assert reason(few, words(5)) == "5 words >= max 5"


def test_blocklist(tmp_path: Path):
    op = F.BlocklistFilter()
    assert one(op, "what a load of bullshit") == (True, 1)
    assert reason(op, "Bullshit pure BULLSHIT") == "2 blocklisted words > max 1"
    assert kept(op, "bullshit, bullshit")  # split leaves "bullshit," unmatched, as in DataFlow
    assert not kept(F.BlocklistFilter(use_tokenizer=True), "bullshit, bullshit")
    custom = F.BlocklistFilter(words=["Spam", " "], threshold=0)
    assert kept(custom, "bullshit ham") and not kept(custom, "SPAM")
    path = tmp_path / "list.txt"
    path.write_text("eggs\n\n  Bacon \n", encoding="utf-8")
    from_file = F.BlocklistFilter(blocklist_path=str(path), threshold=0)
    assert from_file.blocklist == {"eggs", "bacon"}
    with pytest.raises(ValueError, match="no blocklist for language 'zz'"):
        F.BlocklistFilter(language="zz")


def test_the_bundled_chinese_blocklist_spares_everyday_words_that_contain_its_characters():
    op = F.BlocklistFilter(language="zh")
    assert len(op.blocklist) >= 50
    everyday = "请按照手册操作。今日你要买几把椅子、一只鸡和一本关于色彩的书。"
    assert one(op, everyday) == (True, 0)
    assert reason(op, "你这个傻逼，他妈的给我滚。") == "2 blocklisted words > max 1"
    with pytest.raises(ValueError, match="no blocklist for language 'ja'; pass blocklist_path"):
        F.BlocklistFilter(language="ja")


def test_blocklist_finds_chinese_entries_inside_unspaced_text(tmp_path: Path):
    path = tmp_path / "zh.txt"
    path.write_text("垃圾\n垃圾邮件\n\n骗子\n", encoding="utf-8")
    op = F.BlocklistFilter(language="zh", blocklist_path=str(path), threshold=1)
    assert one(op, "今天天气很好，我们去公园散步。") == (True, 0)
    assert one(op, "这是垃圾邮件。") == (True, 1)  # the longest entry, counted once
    assert reason(op, "这个骗子发了很多垃圾邮件") == "2 blocklisted words > max 1"
    assert reason(op, "垃圾垃圾垃圾") == "3 blocklisted words > max 1"
    # Split at spaces (DataFlow's way, kept for other languages) the same text has no entry.
    spaced = F.BlocklistFilter(language="en", blocklist_path=str(path), threshold=0)
    assert kept(spaced, "这个骗子发了很多垃圾邮件")
    assert kept(F.BlocklistFilter(language="ja", words=[], threshold=0), "何でも")


def test_bundled_word_lists():
    stop = english_stopwords()
    assert len(stop) == 179 and {"the", "don't", "wouldn't"} <= stop
    assert tokenize("Don't stop-here, ok... yes!") == [
        "Don't",
        "stop-here",
        ",",
        "ok",
        "...",
        "yes",
        "!",
    ]


# -- in a real pipeline, and over real web pages -------------------------------------------------


def test_filters_in_a_pipeline_record_reasons_scores_and_dead_letters(chain, tmp_path):
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"text": words(3)}, {"text": "one two"}, {"title": "no text"}, {"text": words(4)}],
    )
    out, run_dir = tmp_path / "out.jsonl", tmp_path / "run"
    steps = [
        (F.ContentNullFilter(), {"input_key": "text"}),
        (F.WordNumberFilter(min_words=3), {"input_key": "text", "output_key": "n_words"}),
        (F.CharNumberFilter(threshold=1), {"input_key": "text", "output_score_key": "chars"}),
    ]
    result = chain(steps, entry_file=src, output_file=out, run_dir=run_dir).run(batch_size=2)
    labels = {"content_null_filter_label": 1, "char_number_filter_label": 1}
    assert read_jsonl(out) == [
        {"text": words(3), "n_words": 3, "chars": 12, **labels},
        {"text": words(4), "n_words": 4, "chars": 16, **labels},
    ]
    dropped = result.dropped.records()
    assert [(d.operator, d.reason) for d in dropped] == [("WordNumberFilter", "2 words < min 3")]
    [letter] = result.dead_letters.records()
    assert letter.operator == "ContentNullFilter" and "'text'" in letter.error


@pytest.fixture(scope="module")
def web_texts() -> list[tuple[str, str]]:
    pages = SHARED / "data" / "web-pages"
    if not pages.is_dir():
        pytest.skip(f"{pages} is absent (a fresh clone has no ../shared)")
    trafilatura = pytest.importorskip("trafilatura")
    out = []
    for page in sorted(pages.glob("*.html")):
        text = trafilatura.extract(page.read_text(encoding="utf-8", errors="replace"))
        out.append((page.name, text or ""))
    return out


def test_every_filter_runs_over_real_web_pages(web_texts):
    rows = [{"page": name, "text": text} for name, text in web_texts]
    survivors = {row["page"] for row in rows}
    for name in NAMES:
        out = make(name).process(rows, input_key="text", output_key=f"score_{name}")
        for row, verdict in zip(rows, out, strict=True):
            assert verdict is True or (verdict[0] is False and verdict[1]), (name, row["page"])
            assert f"score_{name}" in row
            if verdict is not True:
                survivors.discard(row["page"])
    assert all(v is True for v in F.ContentNullFilter().process(rows, input_key="text"))
    # Clean English prose survives every default rule; most non-English pages fail the
    # English stop-word rule, as in DataFlow.
    assert "en.wikipedia.org.tsne.html" in survivors
    assert 0 < len(survivors) < len(rows)
    german = [row for row in rows if row["page"].startswith(("heise.de", "spiegel.de", "zeit.de"))]
    assert german and not any(v is True for v in F.StopWordFilter().process(german, "text"))
