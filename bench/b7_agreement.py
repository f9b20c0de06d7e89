"""B7: do streamflow's web quality filters keep and drop the same documents as datatrove's?

Command (from the repository root; the second interpreter is a venv with ``pip install datatrove
spacy regex``, see below)::

    .venv/bin/python bench/b7_agreement.py --datatrove-python /work/bench-venvs/datatrove/bin/python

Documents: the main text trafilatura extracts (``favor_precision=True``, as FineWeb) from the
109 HTML pages in ``../shared/data/web-pages`` (108 have one), plus variants of each made with
a fixed seed: truncated by lines and by words, lines shuffled, paragraphs (blank lines between
lines), lines or the whole text repeated, bullets, ellipses, boilerplate (cookie notices,
"enable JavaScript", menus, hashtags), citation markers, code and a template line with braces,
"lorem ipsum", terminal punctuation stripped, two pages interleaved, menus, tag lists, link
lists and hashtags: 2,277 documents in a realistic mix of kept and dropped (most pages are
German, which Gopher's English stop words drop).

Each of streamflow's GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter and
FineWebQualityFilter (defaults) runs on them here; datatrove's filter of the same name runs in a
subprocess under ``--datatrove-python`` (this file again, with ``--datatrove-side``), reading the
documents from JSONL and writing its decisions as JSONL. The script then prints, per filter: the
documents, the fraction each side keeps, the fraction of documents on which both decide the
same, and a few disagreements with both reasons.

datatrove runs with its defaults except where its defaults differ from the published rules
that streamflow follows, so that the same rules are compared: C4QualityFilter gets the paper's
``min_words_per_line=5, min_num_sentences=3`` and c4_utils' terminal marks ``. ? ! "``
(datatrove adds ``'``). For English, datatrove splits words and sentences with spaCy's blank
English pipeline (``spacy.blank("en")`` plus its rule-based sentencizer), which needs no model
download; nltk and its punkt data are not used, so nothing had to be substituted. The venv:
``python3.11 -m venv /work/bench-venvs/datatrove && /work/bench-venvs/datatrove/bin/pip install
datatrove spacy regex``.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PAGES = HERE.parent.parent / "shared" / "data" / "web-pages"
FILTERS = (
    "GopherQualityFilter",
    "GopherRepetitionFilter",
    "C4QualityFilter",
    "FineWebQualityFilter",
)
SEED = 7

BOILERPLATE = (
    "This website uses cookies to improve your experience.",
    "By using this site you agree to our Terms of Use and Privacy Policy.",
    "Please enable JavaScript in your browser to view this page.",
    "Home",
    "Contact",
    "Share this:",
    "Read more...",
    "Subscribe to our newsletter",
    "#news #today #breaking",
    "© 2024 All rights reserved.",
    "Click here to continue reading…",
)
CODE = (
    "function init() {",
    '  document.getElementById("app").innerHTML = "Hello";',
    "}",
    "const config = { debug: true, retries: 3 };",
    "Placeholders such as {name} and {date} are replaced when the letter is sent.",
)
LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor."


# -- documents ------------------------------------------------------------------------------------


def extract_pages() -> list[tuple[str, str]]:
    import trafilatura

    pages = []
    for path in sorted(PAGES.glob("*.htm*")):
        html = path.read_text(encoding="utf-8", errors="replace")
        text = trafilatura.extract(
            html, favor_precision=True, include_comments=False, deduplicate=True
        )
        if text:
            pages.append((path.stem, text))
    return pages


def variants(name: str, text: str, other: str, rng: random.Random) -> list[tuple[str, str]]:
    """Deterministic variants of one page (``other`` is another page, for mixing)."""
    lines = text.split("\n")
    words = text.split()
    n = len(lines)
    out = [("orig", text)]
    for k in sorted({max(1, n // 4), max(1, n // 2), rng.randint(1, n)}):
        out.append((f"lines{k}", "\n".join(lines[:k])))
    for k in (rng.randint(20, 70), rng.randint(40, 140)):
        out.append((f"words{k}", " ".join(words[:k])))
    shuffled = lines[:]
    rng.shuffle(shuffled)
    out.append(("shuffled", "\n".join(shuffled)))
    out.append(("paragraphs", "\n\n".join(lines)))
    repeated = lines[:]
    for _ in range(rng.randint(1, max(1, n // 3))):
        repeated.insert(rng.randint(0, len(repeated)), rng.choice(lines))
    out.append(("dup_lines", "\n".join(repeated)))
    out.append(("dup_text", text + "\n\n" + text))
    bp = lines[:]
    for line in rng.sample(BOILERPLATE, rng.randint(2, 6)):
        bp.insert(rng.randint(0, len(bp)), line)
    out.append(("boilerplate", "\n".join(bp)))
    out.append(("citations", "\n".join(line.replace(". ", ".[1] ", 2) + "[2]" for line in lines)))
    code = lines[:]
    code.insert(rng.randint(0, len(code)), "\n".join(CODE))
    out.append(("code", "\n".join(code)))
    if rng.random() < 0.3:
        lorem = lines[:]
        lorem.insert(rng.randint(0, len(lorem)), LOREM)
        out.append(("lorem", "\n".join(lorem)))
    bullet = rng.choice(("• ", "- "))
    share = rng.choice((0.5, 0.8, 0.95, 1.0))
    out.append(("bullets", "\n".join(bullet + ln if rng.random() < share else ln for ln in lines)))
    out.append(
        (
            "ellipses",
            "\n".join(
                " ".join(ln.split()[:8]) + "..." if rng.random() < 0.4 else ln for ln in lines
            ),
        )
    )
    out.append(("no_punct", "\n".join(ln.rstrip(".!?\"' ") for ln in lines)))
    theirs = other.split("\n")
    mixed = [x for pair in zip(lines, theirs, strict=False) for x in pair]
    out.append(("mixed", "\n".join(mixed)))
    menu = [" ".join(ln.split()[:3]) for ln in rng.sample(lines, min(n, 12))]
    out.append(("menu", "\n".join(menu + lines[: max(1, n // 5)])))
    tags = [w.strip(".,:;!?\"'()") for w in rng.sample(words, min(len(words), 40))]
    out.append(("tags", "\n".join([t for t in tags if t] + lines[: max(1, n // 3)])))
    links = [
        "https://www.example.org/" + "-".join(ln.split()[:6]).lower() + ".html"
        if rng.random() < 0.7
        else ln
        for ln in lines
    ]
    out.append(("links", "\n".join(links)))
    hashtags = [
        ln + " " + " ".join("#" + w.strip(".,:;!?") for w in rng.sample(ln.split(), 3))
        if len(ln.split()) >= 3 and rng.random() < 0.6
        else ln
        for ln in lines
    ]
    out.append(("hashtags", "\n".join(hashtags)))
    return [(f"{name}/{tag}", t) for tag, t in out if t.strip()]


def documents() -> list[dict[str, str]]:
    pages = extract_pages()
    rng = random.Random(SEED)
    docs = []
    for i, (name, text) in enumerate(pages):
        other = pages[(i + 1) % len(pages)][1]
        docs += [{"id": d, "text": t} for d, t in variants(name, text, other, rng)]
    return docs


# -- the two sides --------------------------------------------------------------------------------


def run_ours(docs: list[dict[str, str]]) -> tuple[dict[str, list[Any]], dict[str, float]]:
    from streamflow.operators.text import web_quality as W

    decisions: dict[str, list[Any]] = {}
    seconds: dict[str, float] = {}
    for name in FILTERS:
        op = getattr(W, name)()
        rows = [{"text": d["text"]} for d in docs]
        started = time.perf_counter()
        verdicts = []
        for i in range(0, len(rows), 256):
            verdicts += op.process(rows[i : i + 256], input_key="text")
        seconds[name] = time.perf_counter() - started
        decisions[name] = [[True, None] if v is True else [False, v[1]] for v in verdicts]
    return decisions, seconds


def datatrove_side(docs_path: str, out_path: str) -> None:
    """Runs under the datatrove venv: documents JSONL in, decisions JSON out."""
    from loguru import logger

    logger.remove()
    from datatrove.data import Document
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        c4_filters,
    )

    c4_filters.END_PUNCTUATION = (".", "?", "!", '"')  # c4_utils' _END_MARKS
    filters = {
        "GopherQualityFilter": GopherQualityFilter(),
        "GopherRepetitionFilter": GopherRepetitionFilter(),
        "C4QualityFilter": C4QualityFilter(min_num_sentences=3, min_words_per_line=5),
        "FineWebQualityFilter": FineWebQualityFilter(),
    }
    with open(docs_path, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    result: dict[str, Any] = {"decisions": {}, "seconds": {}}
    for name, flt in filters.items():
        started = time.perf_counter()
        out = []
        for d in docs:
            try:
                res = flt.filter(Document(text=d["text"], id=d["id"]))
            except ZeroDivisionError as e:  # datatrove divides by zero on some empty inputs
                res = (False, f"error: {e}")
            keep, reason = res if isinstance(res, tuple) else (res, None)
            out.append([bool(keep), reason])
        result["seconds"][name] = time.perf_counter() - started
        result["decisions"][name] = out
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f)


def run_datatrove(
    python: str, docs: list[dict[str, str]], tmp: Path
) -> tuple[dict[str, list[Any]], dict[str, float]]:
    docs_path, out_path = tmp / "docs.jsonl", tmp / "datatrove.json"
    with open(docs_path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    subprocess.run(
        [python, __file__, "--datatrove-side", str(docs_path), str(out_path)], check=True
    )
    result = json.loads(out_path.read_text(encoding="utf-8"))
    return result["decisions"], result["seconds"]


# -- report ---------------------------------------------------------------------------------------


def report(
    docs: list[dict[str, str]],
    ours: dict[str, list[Any]],
    theirs: dict[str, list[Any]],
    seconds: tuple[dict[str, float], dict[str, float]],
    examples: int,
) -> dict[str, Any]:
    n = len(docs)
    header = (
        f"{'filter':<24}{'docs':>6}{'kept (ours)':>13}{'kept (datatrove)':>18}"
        f"{'agreement':>11}{'ours s':>9}{'datatrove s':>13}"
    )
    print(header)
    print("-" * len(header))
    summary: dict[str, Any] = {}
    disagreements: dict[str, list[int]] = {}
    for name in FILTERS:
        a, b = ours[name], theirs[name]
        kept_a = sum(1 for k, _ in a if k) / n
        kept_b = sum(1 for k, _ in b if k) / n
        diff = [i for i in range(n) if a[i][0] != b[i][0]]
        agree = 1 - len(diff) / n
        disagreements[name] = diff
        summary[name] = {"docs": n, "kept_ours": kept_a, "kept_datatrove": kept_b,
                         "agreement": agree}  # fmt: skip
        print(
            f"{name:<24}{n:>6}{kept_a:>13.3f}{kept_b:>18.3f}{agree:>11.4f}"
            f"{seconds[0][name]:>9.2f}{seconds[1][name]:>13.2f}"
        )
    for name in FILTERS:
        diff = disagreements[name]
        if not diff:
            continue
        print(f"\n{name}: {len(diff)} disagreements, first {min(examples, len(diff))}:")
        for i in diff[:examples]:
            snippet = docs[i]["text"][:90].replace("\n", " | ")
            print(f"  {docs[i]['id']}")
            for side, decisions in (("ours:     ", ours), ("datatrove:", theirs)):
                keep, why = decisions[name][i]
                print(f"    {side} {'keep' if keep else 'drop'}  {why or ''}")
            print(f"    text: {snippet!r}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--datatrove-python", default="/work/bench-venvs/datatrove/bin/python")
    parser.add_argument("--examples", type=int, default=4, help="disagreements shown per filter")
    parser.add_argument("--json", help="also write the summary here")
    parser.add_argument(
        "--datatrove-side", nargs=2, metavar=("DOCS", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.datatrove_side:
        datatrove_side(*args.datatrove_side)
        return
    sys.path.insert(0, str(HERE.parent))
    docs = documents()
    print(f"{len(docs)} documents from {len(list(PAGES.glob('*.htm*')))} pages\n")
    ours, our_seconds = run_ours(docs)
    with tempfile.TemporaryDirectory() as tmp:
        theirs, their_seconds = run_datatrove(args.datatrove_python, docs, Path(tmp))
    summary = report(docs, ours, theirs, (our_seconds, their_seconds), args.examples)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
