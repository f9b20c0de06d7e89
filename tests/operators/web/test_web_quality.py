"""Web-crawl quality filters (Gopher, C4, FineWeb, URL blocklist): every rule at, just inside
and just past its limit; reasons."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from streamflow.operators import web as W
from streamflow.operators.registry import OPERATORS
from streamflow.operators.web import (
    C4LineRefiner,
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
    UrlBlocklistFilter,
)
from streamflow.operators.web.gopher_repetition_filter import _dup_ngram_fracs
from streamflow.operators.web.tokens import web_words
from streamflow.testing import apply

FILTERS = ["GopherQualityFilter", "GopherRepetitionFilter", "C4QualityFilter",
           "FineWebQualityFilter"]  # fmt: skip


def why(op: Any, text: str, key: str = "text") -> str | None:
    """None when ``op`` keeps ``text``, else the reason it records."""
    out = apply(op, [{key: text}], input_key=key)
    if out.batch.rows:
        assert not out.dropped
        return None
    [dropped] = out.dropped
    assert dropped.operator == op.name
    return dropped.reason


def measures(op: Any, text: str) -> dict[str, Any]:
    row: dict[str, Any] = {"text": text}
    apply(op, [row], input_key="text", output_key="m")
    return dict(row["m"])


def prose(n: int, word: str = "word") -> str:
    """``n`` words, two of them Gopher stop words, no punctuation."""
    return " ".join(["the", "and", *[word] * (n - 2)])


# -- shared contract ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*FILTERS, "UrlBlocklistFilter", "C4LineRefiner"])
def test_registered_in_the_web_domain(name):
    info = OPERATORS.info(name)
    assert info.domain == "web"
    assert info.kind == ("refiner" if name == "C4LineRefiner" else "filter")
    assert OPERATORS.get(name) is getattr(W, name)


@pytest.mark.parametrize("name", FILTERS)
def test_empty_text_is_dropped_and_errors_name_the_filter(name):
    op = getattr(W, name)()
    assert why(op, "") == "empty text"
    with pytest.raises(KeyError, match=f"{name}.*'text'"):
        op.process([{"other": "x"}], input_key="text")
    with pytest.raises(TypeError, match=f"{name}.*'text'.*int"):
        op.process([{"text": 3}], input_key="text")


@pytest.mark.parametrize("name", FILTERS)
def test_output_key_gets_every_measurement_and_rows_are_otherwise_unchanged(name):
    op = getattr(W, name)()
    row = {"text": "Short text."}
    apply(op, [row], input_key="text")
    assert row == {"text": "Short text."}
    m = measures(op, "Short text.")
    assert m and all(isinstance(k, str) for k in m)
    assert measures(op, "") == measures(op, "")  # safe on empty text


# -- words ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hello, world!", ["Hello", ",", "world", "!"]),
        ("It's 3.5% of $10 at 10:30.",
         ["It", "'s", "3.5", "%", "of", "$", "10", "at", "10:30", "."]),
        ("don't can't", ["do", "n't", "ca", "n't"]),
        ("well-known COVID-19 1990-2000 3-year", ["well", "-", "known", "COVID-19", "1990", "-",
                                                  "2000", "3", "-", "year"]),
        ("U.S. e.g. Dr. Smith z. B. GmbH.", ["U.S.", "e.g.", "Dr.", "Smith", "z.", "B.", "GmbH."]),
        ("1,000 a,b O'Neil and/or", ["1,000", "a", ",", "b", "O'Neil", "and", "/", "or"]),
        ("Wait... what…", ["Wait", "...", "what", "…"]),
        ("see https://example.com/a?b=1.", ["see", "https://example.com/a?b=1", "."]),
        ("text[2] |---| Strom- und @handle C++", ["text[2", "]", "|---|", "Strom-", "und",
                                                 "@handle", "C++"]),
        ("10km 60°C", ["10", "km", "60", "°", "C"]),
        ("Grüße aus Köln", ["Grüße", "aus", "Köln"]),
        ("", []),
    ],
)  # fmt: skip
def test_web_words_splits_as_spacy_english_does(text, tokens):
    assert web_words(text) == tokens


# -- Gopher quality -------------------------------------------------------------------------------


def test_gopher_quality_keeps_ordinary_english_prose():
    text = (
        "The committee met on Tuesday to discuss the budget for the coming year. Members agreed"
        " that the school should have a new library, and that the work would start with the"
        " roof. Several parents asked whether the playground could be repaired at the same"
        " time; the chair promised an answer by the end of the month."
    )
    assert why(GopherQualityFilter(), text) is None


def test_gopher_word_count_limits_are_inclusive():
    op = GopherQualityFilter()
    assert why(op, prose(50)) is None
    assert why(op, prose(49)) == "gopher: 49 words < min 50"
    small = GopherQualityFilter(max_words=60)
    assert why(small, prose(60)) is None
    assert why(small, prose(61)) == "gopher: 61 words > max 60"
    assert why(op, prose(60) + " . , ; !") is None  # punctuation is not words
    assert measures(op, prose(60) + " . , ; !")["words"] == 60


def test_gopher_mean_word_length_limits_are_inclusive():
    op = GopherQualityFilter(min_words=0)
    assert why(op, prose(50, "cat")) is None  # mean exactly 3
    assert why(op, prose(50, "at")) == "gopher: mean word length 2.04 < min 3"
    # 2 stop words of 3 letters and 14 of 11: (6 + 154) / 16 = 10 exactly
    assert why(op, prose(16, "abcdefghijk")) is None
    assert why(op, prose(16, "abcdefghijkl")) == "gopher: mean word length 10.9 > max 10"


def test_gopher_hash_and_ellipsis_per_token():
    op = GopherQualityFilter(min_words=0)
    assert why(op, "# " * 10 + prose(90)) is None  # 10 / 100 tokens
    assert why(op, "# " * 11 + prose(89)) == "gopher: '#' per token 0.11 > max 0.1"
    assert why(op, "... " * 10 + prose(90)) is None
    assert why(op, "… " * 11 + prose(89)) == "gopher: ellipses per token 0.11 > max 0.1"


def test_gopher_bullet_lines():
    op = GopherQualityFilter(min_words=0)
    line = "the and some words here"
    nine = "\n".join(["• " + line] * 9 + ["– " + line])  # "–" is no bullet
    assert why(op, nine) is None  # 0.9 is not more than 0.9
    all_bullets = "\n".join(b + line for b in ["- ", "* ", "• ", "▪ ", "● "] * 2)
    assert why(op, all_bullets) == "gopher: lines starting with a bullet 1 > max 0.9"
    all_bullets = "\n".join(["- " + line] * 10)
    assert why(op, all_bullets) == "gopher: lines starting with a bullet 1 > max 0.9"
    assert why(op, all_bullets.replace("\n", "\n\n\n")) is not None  # blank lines don't count


def test_gopher_ellipsis_lines():
    op = GopherQualityFilter(min_words=0)
    line = "the and some more of these words here"
    three = "\n".join([line + "..."] * 3 + [line + "."] * 7)
    assert why(op, three) is None
    four = "\n".join([line + " …"] * 4 + [line + "."] * 6)
    assert why(op, four) == "gopher: lines ending with an ellipsis 0.4 > max 0.3"


def test_gopher_tokens_with_a_letter():
    op = GopherQualityFilter(min_words=0)
    assert why(op, prose(80) + " 1" * 20) is None  # 80 of 100 tokens
    assert why(op, prose(79) + " 2" * 21) == "gopher: tokens with a letter 0.79 < min 0.8"
    assert measures(op, "the and cat, dog.")["alpha_words_ratio"] == pytest.approx(4 / 6)
    near = prose(3998) + " 1" * 1002  # 0.7996: not shown as "0.8 < min 0.8"
    assert why(op, near) == "gopher: tokens with a letter 0.7996 < min 0.8"


def test_gopher_stop_words_are_distinct_and_case_sensitive():
    op = GopherQualityFilter(min_words=0)
    assert why(op, "the and cat") is None
    assert why(op, "the the the cat") == "gopher: 1 distinct stop words < min 2"
    assert why(op, "The And cat") == "gopher: 0 distinct stop words < min 2"


def test_gopher_on_german_text_needs_german_stop_words():
    german = (
        "Die Gemeinde hat am Dienstag über den Haushalt für das kommende Jahr beraten. Die "
        "Mitglieder waren sich einig, dass die Schule eine neue Bibliothek bekommen soll und dass "
        "die Arbeiten mit dem Dach beginnen. Mehrere Eltern fragten, ob der Spielplatz zur "
        "gleichen Zeit repariert werden kann. Die Antwort kommt im nächsten Monat."
    )
    assert why(GopherQualityFilter(), german) == "gopher: 0 distinct stop words < min 2"
    assert why(GopherQualityFilter(stop_words=("der", "die", "und", "das")), german) is None


def test_gopher_measurements():
    m = measures(GopherQualityFilter(), prose(10))
    assert m == {
        "words": 10,
        "mean_word_length": 3.8,
        "hash_ratio": 0.0,
        "ellipsis_ratio": 0.0,
        "bullet_lines_ratio": 0.0,
        "ellipsis_lines_ratio": 0.0,
        "alpha_words_ratio": 1.0,
        "stop_words": 2,
    }


# -- Gopher repetition ----------------------------------------------------------------------------

OFF: dict[str, Any] = {"dup_line_frac": 1, "dup_para_frac": 1, "dup_line_char_frac": 1,
                       "dup_para_char_frac": 1, "top_ngrams": (), "dup_ngrams": ()}  # fmt: skip


def only(**limits: Any) -> GopherRepetitionFilter:
    return GopherRepetitionFilter(**{**OFF, **limits})


def test_repetition_keeps_text_without_repeats_and_has_table_a1_defaults():
    op = GopherRepetitionFilter()
    assert op.top_ngrams == ((2, 0.2), (3, 0.18), (4, 0.16))
    assert op.dup_ngrams == ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.1))
    rng = random.Random(1)
    vocabulary = [f"w{i}" for i in range(300)]
    text = "\n".join(" ".join(rng.sample(vocabulary, 12)) + "." for _ in range(30))
    assert why(op, text) is None


def test_duplicate_line_fraction():
    op = only(dup_line_frac=0.3)
    distinct = [f"unique line {i}" for i in range(7)]
    assert why(op, "\n".join(distinct + distinct[:3])) is None  # 3 of 10
    assert why(op, "\n".join(distinct + distinct[:4])) == (
        "gopher repetition: duplicate lines 0.364 > max 0.3"
    )
    assert measures(op, "a\n\n\nb\na")["dup_line_frac"] == pytest.approx(1 / 3)  # empty lines go


def test_duplicate_line_characters():
    op = only(dup_line_char_frac=0.2)
    a, b = "a" * 20, "b" * 58  # 20 of 100 characters repeat
    assert why(op, f"{a}\n{b}\n{a}") is None
    a, b = "a" * 21, "b" * 57
    assert why(op, f"{a}\n{b}\n{a}") == (
        "gopher repetition: characters in duplicate lines 0.208 > max 0.2"
    )


def test_duplicate_paragraphs():
    op = only(dup_para_frac=0.3)
    paras = [f"paragraph {i}\nwith two lines" for i in range(7)]
    assert why(op, "\n\n".join(paras + paras[:3])) is None
    assert why(op, "\n\n\n".join(paras + paras[:4])) == (
        "gopher repetition: duplicate paragraphs 0.364 > max 0.3"
    )
    op = only(dup_para_char_frac=0.2)
    a, b = "a" * 20, "b" * 56  # 20 of 100 characters
    assert why(op, f"{a}\n\n{b}\n\n{a}") is None
    assert why(op, f"{a}\n\n{b[:-1]}\n\n{a}") is not None


def test_top_ngram_character_fraction():
    text = "aa bb aa bb cc"  # (aa, bb) twice: 2 x 5 characters of 14
    assert measures(only(top_ngrams=((2, 1),)), text)["top_2gram_char_frac"] == 10 / 14
    assert why(only(top_ngrams=((2, 10 / 14),)), text) is None
    assert why(only(top_ngrams=((2, 0.7),)), text) == (
        "gopher repetition: characters in the top 2-gram 0.714 > max 0.7"
    )


def test_duplicate_ngram_characters_count_repeats_once_and_without_spaces():
    op = only(dup_ngrams=((5, 1), (2, 1)))
    m = measures(op, "a b c d e a b c d e")  # the second 5-gram repeats: 5 of 19 characters
    assert m["dup_5gram_char_frac"] == 5 / 19
    m = measures(op, "a a a a a a a a")  # (a, a) repeats at 1, 3, 5: 6 words of 15 characters
    assert m["dup_2gram_char_frac"] == 6 / 15
    assert why(only(dup_ngrams=((5, 5 / 19),)), "a b c d e a b c d e") is None
    assert why(only(dup_ngrams=((5, 0.25),)), "a b c d e a b c d e") == (
        "gopher repetition: characters in duplicate 5-grams 0.263 > max 0.25"
    )


def _reference_dup_chars(words: list[str], n: int) -> int:
    """datatrove's find_all_duplicate, n-grams as tuples."""
    seen: set[tuple[str, ...]] = set()
    chars = i = 0
    while i < len(words) - n + 1:
        gram = tuple(words[i : i + n])
        if gram in seen:
            chars += sum(map(len, gram))
            i += n
        else:
            seen.add(gram)
            i += 1
    return chars


def test_duplicate_ngram_scan_matches_the_plain_loop_exactly():
    rng = random.Random(3)
    for _ in range(400):
        words = [rng.choice("abcde"[: rng.randint(1, 5)]) * rng.randint(1, 2)
                 for _ in range(rng.randint(0, 50))]  # fmt: skip
        ns = rng.sample(range(1, 12), rng.randint(1, 4))
        got = list(_dup_ngram_fracs(words, ns))
        assert got == [_reference_dup_chars(words, n) for n in ns], (words, ns)


def test_repetition_on_chinese_text():
    text = "今天天气很好。我们去公园散步。" * 3
    assert why(GopherRepetitionFilter(), text) is not None  # one token, repeated characters
    assert why(GopherRepetitionFilter(), "今天天气很好。\n我们去公园散步。") is not None


# -- C4 -------------------------------------------------------------------------------------------

GOOD = [
    "The museum opened a new wing for modern art this spring.",
    "Visitors can see paintings from local artists every day.",
    "Entry is free for children under twelve years old.",
]


def test_c4_keeps_a_page_with_three_sentences_in_good_lines():
    op = C4QualityFilter()
    assert why(op, "\n".join(GOOD)) is None
    assert why(op, "\n".join(GOOD[:2])) == "c4: 2 sentences in the 2 of 2 lines kept < min 3"
    two_in_one = GOOD[0] + " It was busy. " + GOOD[1]
    assert why(op, two_in_one) is None  # one line, three sentences
    assert measures(op, "\n".join(GOOD)) == {"lines": 3, "kept_lines": 3, "sentences": 3}


def test_c4_line_rules_remove_lines_before_counting():
    op = C4QualityFilter()
    bad = [
        "Four words only here.",  # fewer than 5 words
        "No terminal punctuation at the end",
        "This line trails off into an ellipsis...",
        "Please enable JavaScript to view the comments.",
        "By using this site you accept our Privacy Policy.",
        "This website uses cookies to improve the service.",
        "A line ending in a single quote is not kept either '",
        "x" * 1001 + " with a very long word in it.",
    ]
    text = "\n".join(GOOD[:2] + bad)
    assert why(op, text) == "c4: 2 sentences in the 2 of 10 lines kept < min 3"
    assert C4LineRefiner().refine(text) == "\n".join(GOOD[:2])
    assert why(op, "\n".join([*GOOD[:2], 'He said "this line ends in a quote."'])) is None


def test_c4_citations_are_removed_before_the_end_mark_check():
    text = "\n".join([*GOOD[:2], "The wing cost two million euros to build.[1]"])
    assert why(C4QualityFilter(), text) is None
    assert C4LineRefiner().refine(text).endswith("to build.")
    cited = "The museum[citation needed] opened [edit]a wing for art.[12]"
    assert C4LineRefiner(min_sentences=0).refine(cited) == "The museum opened a wing for art."
    assert why(C4QualityFilter(remove_citations=False), text) is not None


def test_c4_page_rules_apply_to_kept_lines_only():
    op = C4QualityFilter()
    page = "\n".join(GOOD)
    assert why(op, page + "\nLorem ipsum dolor sit amet, consectetur.") == (
        "c4: 'lorem ipsum' in the text"
    )
    assert why(op, page + "\nUse {name} to insert the name of the guest.") == (
        "c4: curly bracket '{' in the text"
    )
    assert why(op, page + "\nlorem ipsum") is None  # the line goes first, as in c4_utils
    assert why(op, page + "\nfunction f() { return 1 }") is None


def test_c4_sentences_are_split_at_end_marks_not_abbreviations():
    op = C4QualityFilter(min_sentences=2)
    assert why(op, "Dr. Smith met Mr. Jones at 3.30 p.m. on Monday.") is not None  # one sentence
    assert why(op, "We met at the museum today. It was busy but fun!") is None


def test_c4_filter_and_refiner_agree_in_either_order():
    rng = random.Random(5)
    pool = [*GOOD, "Short one.", "No end mark here at all", "Enable javascript for this page.",
            "Read our terms of use before you buy anything."]  # fmt: skip
    op, refiner = C4QualityFilter(), C4LineRefiner()
    for _ in range(50):
        text = "\n".join(rng.choice(pool) for _ in range(rng.randint(0, 8)))
        cleaned = refiner.refine(text)
        assert refiner.refine(cleaned) == cleaned
        if text:
            assert (why(op, text) is None) == (why(op, cleaned) is None)


def test_c4_on_non_english_text():
    french = "\n".join(
        [
            "Le musée a ouvert une nouvelle aile pour l'art moderne.",
            "Les visiteurs peuvent voir des tableaux tous les jours.",
            "L'entrée est gratuite pour les enfants de moins de douze ans.",
        ]
    )
    assert why(C4QualityFilter(), french) is None
    chinese = "博物馆今年春天开放了新的现代艺术馆。\n游客每天都可以参观。"
    assert why(C4QualityFilter(), chinese) is not None  # no spaces: lines of one "word"


# -- FineWeb --------------------------------------------------------------------------------------


def lines(n: int, ending: str = ".", length: int = 40) -> list[str]:
    """``n`` distinct lines of ``length`` characters and several words."""
    return [
        (f"line number {i} has some words " + "x" * length)[: length - len(ending)] + ending
        for i in range(n)
    ]


def test_fineweb_line_punctuation_limit_is_inclusive():
    op = FineWebQualityFilter()
    assert why(op, "\n".join(lines(4) + lines(25, ending="")[4:])) is None  # 4 of 25
    at = "\n".join(lines(3) + lines(25, ending="")[3:])  # 3 of 25: 0.12
    assert why(op, at) == "fineweb: lines ending in punctuation 0.12 <= min 0.12"
    assert why(FineWebQualityFilter(line_punct_exclude_zero=True), "\n".join(lines(10, ""))) is None
    assert why(op, "\n".join(s + " " for s in lines(10))) == (
        "fineweb: lines ending in punctuation 0 <= min 0.12"  # trailing spaces are not stripped
    )
    assert why(op, "\n".join(lines(10, ending="。"))) is None


def test_fineweb_short_lines_limit_is_inclusive():
    op = FineWebQualityFilter(char_duplicates_ratio=1)
    short = [f"Short line {i}." for i in range(67)]
    assert why(op, "\n".join(short + lines(33))) == (
        "fineweb: lines of <= 30 characters 0.67 >= max 0.67"
    )
    assert why(op, "\n".join(short[:66] + lines(34))) is None
    assert measures(op, "\n".join(["x" * 29 + ".", "y" * 30 + "."]))["short_line_ratio"] == 0.5


def test_fineweb_duplicate_line_characters():
    base = lines(24, length=40)  # 24 x 40 = 960 characters
    dup = base[0][:39] + "."  # a 40-character line repeated: 40 / 1000 = 0.04
    text = "\n".join([dup, *base[1:], dup])
    assert measures(FineWebQualityFilter(), text)["char_dup_ratio"] == pytest.approx(40 / 1000)
    assert why(FineWebQualityFilter(char_duplicates_ratio=0.04), text) == (
        "fineweb: characters in duplicate lines 0.04 >= max 0.04"
    )
    assert why(FineWebQualityFilter(char_duplicates_ratio=0.041), text) is None
    assert why(FineWebQualityFilter(), text) is not None  # FineWeb's 0.01


def test_fineweb_newlines_per_word():
    op = FineWebQualityFilter(line_punct_thr=-1, short_line_thr=2, char_duplicates_ratio=1)
    text = "\n".join(f"Word{i} w{i} x{i}." for i in range(11))  # 10 newlines, 44 tokens
    assert measures(op, text)["new_line_ratio"] == 10 / 44
    three = "\n".join(f"a{i} b{i} c{i}" for i in range(11)) + "\n" + "e f g h i j k ."
    assert measures(op, three)["new_line_ratio"] == 11 / 41
    at = FineWebQualityFilter(line_punct_thr=-1, short_line_thr=2, new_line_ratio=11 / 41)
    assert why(at, three) is None
    below = FineWebQualityFilter(line_punct_thr=-1, short_line_thr=2, new_line_ratio=0.26)
    assert why(below, three) == ("fineweb: newlines per word 0.268 > max 0.26")


def test_fineweb_blank_text():
    assert why(FineWebQualityFilter(), " \n \t\n") == "fineweb: no non-blank lines"


# -- URL blocklist --------------------------------------------------------------------------------


def blocked(op: UrlBlocklistFilter, url: str) -> str | None:
    return why(op, url, key="url")


def test_url_blocklist_matches_the_host_and_every_parent_domain():
    op = UrlBlocklistFilter(domains=["example.com", "*.ads.net", "https://Tracker.ORG/x"])
    assert blocked(op, "https://example.com/a") == "url blocklist: domain example.com"
    assert blocked(op, "http://www.Example.COM:8080/a?b") == (
        "url blocklist: domain example.com (host www.example.com)"
    )
    assert blocked(op, "https://user:pw@deep.sub.example.com./") is not None
    assert blocked(op, "example.com/no/scheme") is not None
    assert blocked(op, "https://x.ads.net/") is not None
    assert blocked(op, "https://tracker.org") is not None
    assert blocked(op, "https://notexample.com/") is None
    assert blocked(op, "https://example.com.evil.io/") is None
    assert blocked(op, "not a url") is None


def test_url_blocklist_reads_a_file_and_compares_idn_as_punycode(tmp_path: Path):
    path = tmp_path / "domains.txt"
    path.write_text("# blocked\nbücher.de\n\n.spam.example  # trailing comment\n", "utf-8")
    op = UrlBlocklistFilter(domains_path=path)
    assert op.domains == {"xn--bcher-kva.de", "spam.example"}
    assert blocked(op, "https://www.bücher.de/") is not None
    assert blocked(op, "https://xn--bcher-kva.de/") is not None
    assert blocked(op, "https://a.spam.example/") is not None


def test_url_blocklist_banned_words_and_subwords():
    op = UrlBlocklistFilter(banned_words=["casino"], banned_subwords=["xxx"])
    assert blocked(op, "https://a.com/best-casino/") == (
        "url blocklist: banned word 'casino' in the URL"
    )
    assert blocked(op, "https://a.com/casinoroyale") is None
    assert blocked(op, "https://a.com/AXXXB") == "url blocklist: banned subword 'xxx' in the URL"


def test_url_blocklist_rejects_an_empty_list():
    with pytest.raises(ValueError, match="blocklist is empty"):
        UrlBlocklistFilter()
    with pytest.raises(ValueError, match="blocklist is empty"):
        UrlBlocklistFilter(domains=["", "  "], banned_words=[" "])
    with pytest.raises(TypeError, match="not a string"):
        UrlBlocklistFilter(domains="example.com")


def test_url_blocklist_binds_url_by_default_and_names_missing_fields():
    op = UrlBlocklistFilter(domains=["example.com"])
    out = apply(op, [{"url": "https://example.com"}, {"url": "https://ok.org"}])
    assert len(out.batch.rows) == 1 and len(out.dropped) == 1
    with pytest.raises(KeyError, match=r"UrlBlocklistFilter.*'url'"):
        op.process([{"link": "x"}])
