"""Tokenisers and word lists shared by the rule-based text operators.

DataFlow tokenises with nltk, whose models and corpora are downloaded at run time; streamflow
runs where nothing can be downloaded, so these are regex tokenisers and word lists shipped as
package data. Every list is lower case, one entry per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from pathlib import Path

__all__ = [
    "WORD_PUNCT",
    "WORD_TOKEN",
    "bundled_word_list",
    "english_stopwords",
    "read_word_list",
    "tokenize",
]

WORD_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|\.\.\.|[^\w\s]")
"""Stands in for nltk's ``word_tokenize``: words (with inner hyphens and apostrophes) and
punctuation marks as separate tokens. Contractions stay whole ("don't"), which the stop-word
list also holds, so counts agree with nltk's split ("do", "n't") for stop words."""

WORD_PUNCT = re.compile(r"\w+|[^\w\s]+")
"""nltk's ``WordPunctTokenizer`` pattern: runs of word characters, runs of punctuation."""


def tokenize(text: str) -> list[str]:
    """Words and punctuation marks of ``text``, as nltk's ``word_tokenize`` roughly gives them."""
    return WORD_TOKEN.findall(text)


def read_word_list(path: str | Path) -> frozenset[str]:
    """The non-blank lines of a UTF-8 file, stripped and lower-cased."""
    with open(path, encoding="utf-8") as f:
        return _entries(f)


@cache
def bundled_word_list(name: str) -> frozenset[str]:
    """A word list shipped beside this module (``stopwords_en``, ``blocklist_en``); read once."""
    resource = files(__package__) / f"{name}.txt"
    if not resource.is_file():
        raise FileNotFoundError(f"no bundled word list {name!r}")
    return _entries(resource.read_text("utf-8").splitlines())


def _entries(lines: Iterable[str]) -> frozenset[str]:
    return frozenset(w for line in lines if (w := line.strip().lower()))


def english_stopwords() -> frozenset[str]:
    """nltk's 179 English stop words (the list DataFlow's StopWordFilter loads)."""
    return bundled_word_list("stopwords_en")
