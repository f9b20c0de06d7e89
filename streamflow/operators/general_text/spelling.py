"""Spelling correction with SymSpell (DataFlow's ``SpellingCorrectionRefiner``): each
whitespace-separated word is replaced by the closest dictionary word within
``max_edit_distance`` edits (the most frequent among the closest), or kept when none is.

The dictionary is the file at ``dictionary_path``; DataFlow downloads symspellpy's
``frequency_dictionary_en_82_765.txt`` there when it is missing, and here the copy that ships
inside symspellpy (extra ``nlp``; MIT) is read instead, so nothing is fetched. As in DataFlow,
words are looked up as they are (punctuation attached, case kept), and corrections are the
dictionary's lower-case words.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

from streamflow.actors.base import Refiner
from streamflow.extras import require
from streamflow.operators.fields import text_field
from streamflow.rows import Row

__all__ = ["SpellingCorrectionRefiner"]

DEFAULT_DICTIONARY = "frequency_dictionary_en_82_765.txt"


@functools.lru_cache(maxsize=4)
def _symspell(path: str, max_edit_distance: int, prefix_length: int) -> Any:
    symspellpy = require("symspellpy", "nlp")
    sym = symspellpy.SymSpell(
        max_dictionary_edit_distance=max_edit_distance, prefix_length=prefix_length
    )
    if not sym.load_dictionary(path, term_index=0, count_index=1):
        raise ValueError(f"SpellingCorrectionRefiner: cannot read the dictionary {path!r}")
    return sym


class SpellingCorrectionRefiner(Refiner):
    """Corrects the spelling of each word of ``input_key`` with SymSpell."""

    def __init__(
        self,
        max_edit_distance: int = 2,
        prefix_length: int = 7,
        dictionary_path: str = DEFAULT_DICTIONARY,
    ) -> None:
        self.max_edit_distance = max_edit_distance
        self.prefix_length = prefix_length
        self.dictionary_path = dictionary_path
        path = Path(dictionary_path)
        if not path.is_file():
            if path.name != DEFAULT_DICTIONARY:
                raise FileNotFoundError(f"{self.name}: no dictionary at {dictionary_path!r}")
            require("symspellpy", "nlp")
            path = Path(str(resources.files("symspellpy") / DEFAULT_DICTIONARY))
        self._sym = _symspell(str(path), max_edit_distance, prefix_length)
        self._closest = require("symspellpy", "nlp").Verbosity.CLOSEST

    def refine(self, text: str) -> str:
        out = []
        for word in text.split():
            found = self._sym.lookup(word, self._closest, self.max_edit_distance)
            out.append(found[0].term if found else word)
        return " ".join(out)

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row]:
        for row in rows:
            row[input_key] = self.refine(text_field(self.name, row, input_key))
        return rows
