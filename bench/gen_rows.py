"""Write N deterministic JSONL rows ``{"id": i, "text": ...}`` for the benchmarks.

Each text is about 300 characters of English-like prose with the dirt the refiners clean:
HTML entities and tags, URLs, double spaces, digits, punctuation runs, emoji and emoticons.
The same N always gives the same file (seeded ``random``).

    python bench/gen_rows.py N OUT.jsonl
"""

from __future__ import annotations

import random
import sys
import time

import msgspec

_WORD_LIST = (
    "the a of and to in is was for on that with as by at from it this be are have not but "
    "river market bicycle kettle library soup harbour lentil garden window morning station "
    "train ferry island weather history league merchant trade spoon brake wheel chain light "
    "quickly slowly carefully often never always nearly almost together again later today "
    "green quiet old new small large bright heavy warm cold simple careful local public "
    "walks builds opens carries repairs cooks reads writes measures counts follows leaves"
)
WORDS = tuple(_WORD_LIST.split())
DIRT = (
    "&amp;", "&nbsp;", "&quot;", "&lt;b&gt;", "&hellip;", "<b>", "</b>", "<br/>",
    "https://example.org/page?id=42", "http://news.example/a/b.html", "  ", "   ",
    "!!!", "???", "...", "--", "1999", "42", "3.14", "2,500", "😀", "🚲", "👍🏽", ":-)", ";)",
    "![fig](images/a1b2c3d4e5.jpg)", "<ref>Smith 2001</ref>", "12/03/2024", "$19.99",
)  # fmt: skip


def make_text(rng: random.Random, length: int = 300) -> str:
    parts: list[str] = []
    size = 0
    capital = True
    while size < length:
        if rng.random() < 0.12:
            token = rng.choice(DIRT)
        else:
            token = rng.choice(WORDS)
            if capital:
                token = token.capitalize()
            capital = False
            if rng.random() < 0.1:
                token += rng.choice(".,;")
                capital = token.endswith(".")
        parts.append(token)
        size += len(token) + 1
    return " ".join(parts)


def generate(n: int, path: str, seed: int = 1234) -> None:
    rng = random.Random(seed)
    encoder = msgspec.json.Encoder()
    buffer = bytearray()
    with open(path, "wb") as out:
        for i in range(n):
            encoder.encode_into({"id": i, "text": make_text(rng)}, buffer, -1)
            buffer.extend(b"\n")
            if len(buffer) > 1 << 20:
                out.write(buffer)
                buffer.clear()
        out.write(buffer)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: python bench/gen_rows.py N OUT.jsonl")
    n, path = int(sys.argv[1]), sys.argv[2]
    start = time.perf_counter()
    generate(n, path)
    print(f"wrote {n} rows to {path} in {time.perf_counter() - start:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
