"""DataFlow's text refiners: what each must rewrite, what it must leave alone, and its errors."""

from __future__ import annotations

from typing import Any

import pytest

from streamflow.operators import general_text as R
from streamflow.operators.registry import OPERATORS
from streamflow.operators.text_refiner import TextRefiner

NAMES = [
    "HtmlEntityRefiner",
    "HtmlUrlRemoverRefiner",
    "LowercaseRefiner",
    "RemoveExtraSpacesRefiner",
    "RemoveEmojiRefiner",
    "RemoveEmoticonsRefiner",
    "RemovePunctuationRefiner",
    "RemoveNumberRefiner",
    "RemoveRepetitionsPunctuationRefiner",
    "RemoveImageRefsRefiner",
    "ReferenceRemoverRefiner",
    "TextNormalizationRefiner",
]


def make(name: str) -> TextRefiner:
    op = OPERATORS.get(name)()
    assert isinstance(op, TextRefiner)
    return op


def refine(op: TextRefiner, text: str) -> str:
    [row] = op.process([{"id": 7, "text": text}], input_key="text")
    assert row["id"] == 7
    return str(row["text"])


@pytest.mark.parametrize("name", NAMES)
def test_registered_as_text_refiner(name: str) -> None:
    info = OPERATORS.info(name)
    assert (info.kind, info.domain) == ("refiner", "general_text")
    assert [k.name for k in info.keys] == ["input_key"]


@pytest.mark.parametrize("name", NAMES)
def test_rewrites_a_copy_and_keeps_other_fields(name: str) -> None:
    op = make(name)
    rows: list[dict[str, Any]] = [
        {"text": "Hi!!  <b>x</b> :) 2023 😀", "other": [1]},
        {"text": "", "other": None},
    ]
    out = op.process(rows, input_key="text")
    assert [r["other"] for r in out] == [[1], None]
    assert rows[0]["text"] == "Hi!!  <b>x</b> :) 2023 😀"  # the input row is not mutated
    assert out[1]["text"] == ""


@pytest.mark.parametrize("name", NAMES)
def test_errors_name_operator_and_key(name: str) -> None:
    op = make(name)
    with pytest.raises(KeyError, match=f"{name}.*'body'"):
        op.process([{"text": "x"}], input_key="body")
    with pytest.raises(TypeError, match=f"{name}.*'text'.*int"):
        op.process([{"text": 3}], input_key="text")


@pytest.mark.parametrize("name", NAMES)
def test_plain_chinese_is_untouched(name: str) -> None:
    text = "数据准备是大模型训练的关键环节，质量决定上限。"
    assert refine(make(name), text) == text


def test_html_entities_in_all_widths_are_removed() -> None:
    op = R.HtmlEntityRefiner()
    assert refine(op, "a&nbsp;b ＆amp；c &lt;d＆gt;") == "ab c d"
    assert refine(op, "&copy; &AMP; & amp;") == "&copy; &AMP; & amp;"  # not in the list / no entity
    assert refine(R.HtmlEntityRefiner(html_entities=["copy"]), "&copy;&nbsp;") == "&nbsp;"
    with pytest.raises(ValueError, match="empty"):
        R.HtmlEntityRefiner(html_entities=[])


def test_html_url_remover() -> None:
    op = R.HtmlUrlRemoverRefiner()
    html = '<p class="x">Read <a href="https://ex.org/a?b=1">this</a>.</p><!-- multi\nline -->'
    assert refine(op, html) == "Read this."
    assert refine(op, "see https://ex.org/path, then\nhttp://x.io/y.") == "see , then\n."
    assert refine(op, "if 1 < 2 and 3 > 2: ok") == "if 1 < 2 and 3 > 2: ok"
    assert refine(op, "ftp://host stays, www.x.com stays") == "ftp://host stays, www.x.com stays"


def test_lowercase_is_unicode_aware() -> None:
    assert refine(R.LowercaseRefiner(), "ÉCOLE Straße ΑΒΓ 中文") == "école straße αβγ 中文"


def test_extra_spaces_collapse_all_whitespace() -> None:
    op = R.RemoveExtraSpacesRefiner()
    assert refine(op, "  a \t b\n\n c\u3000d  ") == "a b c d"


def test_emoji_removed_text_symbols_kept() -> None:
    op = R.RemoveEmojiRefiner()
    text = "ok 👍🏽 family 👨‍👩‍👧 flag 🇨🇳 keycap #️⃣ heart ❤️ end"
    assert refine(op, text) == "ok  family  flag  keycap  heart  end"
    assert refine(op, "© 2024 ACME™, ® and ✓ 中文 é") == "© 2024 ACME™, ® and ✓ 中文 é"
    assert refine(op, "©️") == ""  # with the emoji variation selector it is an emoji
    assert refine(op, "math 𝔸 stays") == "math 𝔸 stays"  # astral but not emoji


def test_emoticons_removed_but_not_inside_words_urls_or_times() -> None:
    op = R.RemoveEmoticonsRefiner()
    assert refine(op, "great :) thanks ;-) T_T ¯\\_(ツ)_/¯ :):( :D.") == "great  thanks     ."
    assert refine(op, "太好了:)") == "太好了"
    keep = "https://x.org at 10:30, PhD: yes, XD and QQ, a[:] and (*) and :Done"
    assert refine(op, keep) == keep


def test_punctuation_ascii_only() -> None:
    op = R.RemovePunctuationRefiner()
    assert refine(op, "Hello, world! (e.g. don't) #1") == "Hello world eg dont 1"
    assert refine(op, "你好，世界！«ça»") == "你好，世界！«ça»"


def test_numbers_every_digit_character() -> None:
    op = R.RemoveNumberRefiner()
    assert refine(op, "COVID-19 in 2020") == "COVID- in "
    assert refine(op, "x² ① ٣ and 三 or ½") == "x   and 三 or ½"


def test_repeated_punctuation_collapses_runs_of_one_character() -> None:
    op = R.RemoveRepetitionsPunctuationRefiner()
    assert refine(op, "What!!! Wait... ___ ——") == "What! Wait. _ —"
    assert refine(op, "好！！！。。") == "好！。"
    assert refine(op, "?! ok!?!? a  b aa 11") == "?! ok!?!? a  b aa 11"


def test_image_refs() -> None:
    op = R.RemoveImageRefsRefiner()
    assert refine(op, "a ![](images/0a1b2c3d.jpg) b") == "a  b"
    assert refine(op, "a ![fig 1](images/abc") == "a "  # cut off before ")"
    assert refine(op, "left 3fa9c0d1e2b4.png) over") == "left  over"
    assert refine(op, "如图 3-2：系统流程图 所示") == "如 所示"
    assert refine(op, "code U+1F600 here") == "code  here"
    keep = "international science, 一九九七年, see deadbeef.png, [link](page.html)"
    assert refine(op, keep) == keep


def test_wiki_references() -> None:
    op = R.ReferenceRemoverRefiner()
    text = 'A<ref name="a"/> B<ref>Smith 2001</ref> C{{cite web|url=x}} D{{Cite book |t=y}} E'
    assert refine(op, text) == "A B C D E"
    assert refine(op, "Fact.<ref>Open until the end") == "Fact."
    assert refine(op, "Fact.{{cite news|title=unclosed") == "Fact."
    keep = "x <reference> {{citation needed}} y"
    assert refine(op, keep) == keep


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on 12/05/2023.", "on 2023-05-12."),  # day first, as DataFlow reads it
        ("on 1.2.2023", "on 2023-02-01"),
        ("due 5/6/23", "due 23-06-05"),
        ("March 5, 2023 and 5 MARCH 2024", "2023-03-05 and 2024-03-05"),
        ("12/31/2023", "12/31/2023"),  # no 31st month: not a day-first date
        ("February 30, 2023", "February 30, 2023"),
        ("Python 3.12.10, v1.2.2023, 192.168.1.10", "Python 3.12.10, v1.2.2023, 192.168.1.10"),
        ("Chapter 5, 2023", "Chapter 5, 2023"),
        ("costs $1,299.99, or $ 5.", "costs 1,299.99 USD, or 5 USD."),
        ("$x and US$", "$x and US$"),
        ("2023年5月1日", "2023年5月1日"),
    ],
)
def test_text_normalization(text: str, expected: str) -> None:
    assert refine(R.TextNormalizationRefiner(), text) == expected


def test_chain_of_refiners_composes() -> None:
    text = "<p>Visit https://ex.org NOW!!!</p> &nbsp; 😀 :)   Price: $5"
    ops: list[TextRefiner] = [
        R.HtmlUrlRemoverRefiner(),
        R.HtmlEntityRefiner(),
        R.RemoveEmojiRefiner(),
        R.RemoveEmoticonsRefiner(),
        R.RemoveRepetitionsPunctuationRefiner(),
        R.TextNormalizationRefiner(),
        R.LowercaseRefiner(),
        R.RemoveExtraSpacesRefiner(),
    ]
    rows = [{"text": text}]
    for op in ops:
        rows = op.process(rows, input_key="text")
    assert rows == [{"text": "visit now! price: 5 usd"}]
