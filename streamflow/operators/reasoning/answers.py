"""Final answers of math solutions: where they are, and what they look like once normalised.

Extraction follows the order the Qwen2.5-Math evaluation uses (and DataFlow copies), with
GSM8K's marker added:

1. Minerva's closing sentence ``final answer is $X$. I hope it is correct``;
2. the last ``\\boxed{...}`` (or ``\\fbox{...}``), braces nested to any depth;
3. GSM8K's ``#### X`` line;
4. the text after the last "the answer is" / "final answer is" (or ``答案是``);
5. otherwise, the last number in the text (thousands commas removed).

:func:`normalize_answer` turns an extracted answer into a canonical string (LaTeX spellings,
units, dollar signs, thousands separators, ``\\frac12``, ``a/b``, trailing zeros), so that most
equal answers are equal strings; :func:`numeric_value` reads a normalised answer as a number
where it is one. What neither settles goes to math-verify (:mod:`.verify`), in a process with a
time limit. Everything here is pure string work, cheap and safe on any input (no regular
expression backtracks badly on a long answer).
"""

from __future__ import annotations

import math
import re

__all__ = [
    "extract_answer",
    "extract_boxed",
    "extract_gsm8k_marker",
    "has_boxed",
    "normalize_answer",
    "numbers_match",
    "numeric_value",
]

_NUMBER = re.compile(r"-?\d*\.?\d+")
_GSM8K_MARKER = re.compile(r"####\s*(.+)")
_ANSWER_IS = re.compile(r"(?:he|final) answer is|答案是", re.I)
_BOX = re.compile(r"\\(?:boxed|fbox)")
_CALCULATOR = re.compile(r"<<[^<>]*>>")
_CLAUSE_END = re.compile(r"(?<![A-Z][a-z]\.)(?<!Mrs\.)(?<=[.!?;,])\s+|\n+")
"""Ends of sentences and clauses ("..., which rounds to 33"), not of "Mr." or "3,000"."""
_LEADING_NUMBER = re.compile(r"[^\w-]*?(-?(?:\d{1,3}(?:[ ,]\d{3})+(?!\d)|\d*\.?\d+)(?:/\d+)?)")


def extract_answer(
    text: object, dataset_name: str | None = None, *, last_number: bool = True
) -> str:
    """The final answer of a solution, normalised; ``""`` where there is none.

    ``dataset_name`` is Qwen's ``data_name``: for ``carp_en`` and ``minerva_math`` units are
    kept (their answers may legitimately end in a word). ``last_number=False`` gives ``""``
    instead of falling back to the last number of the text.
    """
    raw = extract_raw_answer(text, last_number=last_number)
    return normalize_answer(raw, keep_units=dataset_name in ("carp_en", "minerva_math"))


def extract_raw_answer(text: object, *, last_number: bool = True) -> str:
    """The final answer as written in the solution (see the module docstring for the order)."""
    if text is None:
        return ""
    pred = str(text).replace("\u043a\u0438", "")  # a marker some step-level datasets leave in
    minerva = pred.find("final answer is $")
    if minerva >= 0 and "$. I hope" in pred[minerva:]:
        return pred[minerva + len("final answer is $") :].split("$. I hope", 1)[0].strip()
    boxed = extract_boxed(pred)
    if boxed is not None:
        return boxed
    marker = extract_gsm8k_marker(pred)
    if marker is not None:
        return marker
    said = list(_ANSWER_IS.finditer(pred))
    if said:
        return _tidy_sentence(pred[said[-1].end() :])
    return last_number_answer(pred) if last_number else ""


def last_number_answer(text: str) -> str:
    """The number a solution ends on: in its last clause that holds a number, the result of
    the last equation (the first number or fraction after its last ``=``), else the last
    number.

    Qwen takes the last number of the whole text, which a closing phrase such as "... = 8 in
    3 years" or "... for 2 tubs" turns into the wrong one; looking at the equation first fixes
    that and changes nothing where the last number is the result. GSM8K's calculator
    annotations (``<<4+5=9>>``) are removed first. A number word ("three days") counts where
    the clause has no digits. Clauses end at ``.``, ``!``, ``?``, ``;`` or ``,`` followed by
    white space, or at a line break.
    """
    text = _CALCULATOR.sub("", text)
    for clause in reversed(_CLAUSE_END.split(text)):
        if "=" in clause:
            result = _LEADING_NUMBER.match(clause.rsplit("=", 1)[1])
            if result:
                return re.sub(r"[ ,]", "", result.group(1))
        numbers = _NUMBER.findall(clause.replace(",", ""))
        if numbers:
            return str(numbers[-1])
        words = [w for w in re.findall(r"[a-z]+", clause.lower()) if w in _WORDS]
        if words:
            return _WORDS[words[-1]]
    return ""


def has_boxed(text: object) -> bool:
    """Whether a solution states its answer in a non-empty ``\\boxed{...}``."""
    boxed = extract_boxed(str(text)) if text is not None else None
    return bool(boxed and boxed.strip())


def extract_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}``/``\\fbox{...}`` (nested braces kept whole).

    ``\\boxed 5`` (no braces) gives ``5``. An unclosed box gives what follows it. ``None``
    where the text has no box.
    """
    boxes = list(_BOX.finditer(text))
    if not boxes:
        return None
    rest = text[boxes[-1].end() :]
    if rest.startswith("{"):
        depth = 0
        for i, char in enumerate(rest):
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return rest[1:i]
        return rest[1:]
    return rest.split("$")[0].strip()


def extract_gsm8k_marker(text: str) -> str | None:
    """What follows GSM8K's ``####`` on its line (the reference answer), or ``None``."""
    found = _GSM8K_MARKER.findall(text)
    return found[-1].strip() if found else None


def _tidy_sentence(rest: str) -> str:
    """The answer after "the answer is": its first line, without a leading colon or end period."""
    rest = rest.strip()
    lines = rest.splitlines()
    rest = lines[0].strip() if lines else ""
    rest = rest.lstrip(":").strip()
    # "The answer is 18. She sells ..." -> "18"
    sentence = re.match(r"(.+?)\.(?:\s|$)", rest)
    if sentence:
        rest = sentence.group(1)
    return rest.rstrip(".").rstrip("/").strip()


# -- normalisation ---------------------------------------------------------------------------

_UNIT_WORDS = (
    "dollars?|cents?|euros?|pounds?|rupees?|rs|usd|yuan|"
    "hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|yrs?|"
    "meters?|metres?|centimeters?|cm|millimeters?|mm|kilometers?|km|m|miles?|mph|kmph|"
    "feet|foot|ft|inch(?:es)?|yards?|"
    "kilograms?|kg|grams?|g|lbs?|ounces?|oz|tons?|"
    "liters?|litres?|ml|gallons?|gal|cups?|quarts?|"
    "degrees?|deg|units?|square|sq|cubic|percent|points?|"
    "people|persons?|students?|children|kids|apples?|eggs?|cookies?|books?|pages?|pieces?|"
    "boxes|bags?|cars?|times|items?|marbles?|pencils?|pens?|balls?|cards?|candies|candy|slices?"
)
_TRAILING_UNIT = re.compile(rf"(?<=[\d}}.)])\s*(?:{_UNIT_WORDS})\b\.?$", re.I)
_LEADING_UNIT = re.compile(r"^(?:rs\.?|usd|us\$)\s*", re.I)
_SPACING = re.compile(r"(?<!\\)\\([!,; ])")
"""LaTeX spacing commands (``\\!``, ``\\,``, ``\\;``, ``\\ ``), not a row break ``\\\\``."""
_TEXT_MACRO = re.compile(r"\\(?:text|textbf|mathrm|mbox|textnormal)\s*\{([^{}]*)\}")
_TRAILING_TEXT = re.compile(r"\\(?:text|mbox)\s*\{[^{}]*\}\s*$")
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_TRAILING_ZEROS = re.compile(r"(\d)\.0+(?![\d])")
_DECIMAL_ZEROS = re.compile(r"(\d\.\d*?[1-9])0+(?![\d])")
_LHS = re.compile(r"^\s*[a-zA-Z](?:_\{?\w+\}?)?\s*(?:=|\\in|\\to)\s*")
_SQRT_BARE = re.compile(r"\\sqrt(\w)")
_FRAC_BARE = re.compile(r"\\frac(\d)(\d)")
_FRAC_HALF = re.compile(r"\\frac(\d)\{")
_SIMPLE_RATIO = re.compile(r"^(-?\d+)/(\d+)$")
_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
    "hundred": "100", "thousand": "1000", "half": "\\frac{1}{2}",
}  # fmt: skip


def normalize_answer(answer: object, *, keep_units: bool = False) -> str:
    """A canonical spelling of an extracted answer, so that equal answers compare equal.

    Joins lines; unifies LaTeX spellings (``\\dfrac``/``\\tfrac`` -> ``\\frac``, ``\\left``/
    ``\\right`` dropped, ``\\leq`` -> ``\\le``, arrays and bmatrix -> pmatrix); drops dollar
    signs, degree marks, ``%``, ``\\!``, trailing units (unless ``keep_units``) and a leading
    ``x =``; unwraps ``\\text{...}``; writes number words as digits; removes thousands commas,
    spaces and trailing zeros after a decimal point; braces ``\\frac12`` and ``\\sqrt2``; and
    writes a plain ratio ``a/b`` as ``\\frac{a}{b}``.
    """
    if answer is None:
        return ""
    s = str(answer).replace("\n", " ").strip()
    s = _SPACING.sub(lambda m: " " if m.group(1) == " " else "", s)
    s = re.sub(r"\\begin\{array\}\{[^{}]*\}", r"\\begin{pmatrix}", s)
    s = s.replace("\\end{array}", "\\end{pmatrix}").replace("bmatrix", "pmatrix")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    s = s.replace("\\neq", "\\ne").replace("\\leq", "\\le").replace("\\geq", "\\ge")
    s = s.replace("\\left", "").replace("\\right", "")
    s = s.replace("\\{", "{").replace("\\}", "}")
    s = s.replace("\\$", "").replace("$", "").replace("\\(", "").replace("\\)", "")
    s = s.replace("^{\\circ}", "").replace("^\\circ", "").replace("°", "")
    s = s.replace("\\%", "").replace("%", "")
    s = s.strip().rstrip(".").strip()
    if not keep_units:
        trimmed = _TRAILING_TEXT.sub("", s).strip()
        s = trimmed or s
    s = _TEXT_MACRO.sub(r"\1", s)
    if not keep_units:
        s = _LEADING_UNIT.sub("", s)
        for _ in range(2):  # "5 square meters"
            s = _TRAILING_UNIT.sub("", s).strip()
    s = _LHS.sub("", s)
    lowered = s.lower().strip()
    if lowered in _WORDS:
        s = _WORDS[lowered]
    s = s.replace("\\emptyset", "{}").replace("(-\\infty,\\infty)", "\\mathbb{R}")
    if _THOUSANDS.fullmatch(s.replace(" ", "")):  # "70,000"; a pair "(100,200)" stays
        s = s.replace(",", "")
    s = s.replace(" .", " 0.").replace("{.", "{0.")
    s = s.replace(" ", "")
    if s.startswith("."):
        s = "0" + s
    elif s.startswith("-."):
        s = "-0" + s[1:]
    s = _TRAILING_ZEROS.sub(r"\1", s)
    s = _DECIMAL_ZEROS.sub(r"\1", s)
    s = _SQRT_BARE.sub(r"\\sqrt{\1}", s)
    s = _FRAC_BARE.sub(r"\\frac{\1}{\2}", s)
    s = _FRAC_HALF.sub(r"\\frac{\1}{", s)
    ratio = _SIMPLE_RATIO.match(s)
    if ratio:
        s = f"\\frac{{{ratio.group(1)}}}{{{ratio.group(2)}}}"
    return s.rstrip(".")


_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PLAIN_FRACTION = re.compile(r"(-?)\\frac\{(-?\d+)\}\{(-?\d+)\}")


def numeric_value(normalized: str) -> float | None:
    """The number a normalised answer is (``18``, ``-0.5``, ``\\frac{3}{4}``), or ``None``."""
    if _PLAIN_NUMBER.fullmatch(normalized):
        try:
            value = float(normalized)
        except ValueError:  # pragma: no cover - the pattern only admits floats
            return None
        return value if math.isfinite(value) else None
    fraction = _PLAIN_FRACTION.fullmatch(normalized)
    if fraction:
        sign, num, den = fraction.groups()
        if int(den) == 0:
            return None
        value = int(num) / int(den)
        return -value if sign else value
    return None


def numbers_match(a: float, b: float, *, rel_tol: float = 1e-4, percent: bool = True) -> bool:
    """Equal within ``rel_tol`` (Qwen's tolerance); with ``percent``, also ``a`` against
    ``b/100`` and ``b*100`` (an answer of 25 for a gold 0.25 "25%"), as Qwen's checker allows."""
    candidates = (b, b / 100, b * 100) if percent else (b,)
    return any(math.isclose(a, c, rel_tol=rel_tol, abs_tol=1e-9) for c in candidates)
