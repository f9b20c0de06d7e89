"""Decoding an HTML page's bytes to text, for the HTML and the WARC readers.

Real pages lie about their encoding often enough that a declared charset is a hint, tried and
dropped when the bytes do not fit it; what browsers do (the WHATWG encoding standard) decides
the rest.
"""

from __future__ import annotations

import codecs
import contextlib
import re

_CHARSET_SCAN = 8192  # real pages declare their charset after 1-5 KB of <head> boilerplate
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# As the WHATWG encoding standard says: pages labelled latin-1 or ASCII are really windows-1252,
# and a UTF-16 label that could be read from ASCII-compatible bytes is wrong.
_WHATWG_ALIASES = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "utf-16": "utf-8",
    "utf-16-le": "utf-8",
    "utf-16-be": "utf-8",
}


def decode_html(data: bytes, charset: str | None = None) -> str:
    """Decode an HTML page: BOM, then ``charset`` (the HTTP header's, when known), then the
    declared ``<meta charset>``, then UTF-8, then cp1252.

    A declared charset that does not fit the bytes is ignored rather than trusted, because pages
    and servers often lie; cp1252 is the web's legacy default and decodes nearly every byte.
    """
    candidates = [name for bom, name in _BOMS if data.startswith(bom)]
    labels = [charset] if charset else []
    if match := _CHARSET_RE.search(data, 0, _CHARSET_SCAN):
        labels.append(match.group(1).decode("ascii"))
    for label in labels:
        with contextlib.suppress(LookupError, ValueError):  # ValueError: a NUL in the label
            name = codecs.lookup(label).name
            candidates.append(_WHATWG_ALIASES.get(name, name))
    for name in [*candidates, "utf-8", "cp1252"]:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(name)
    return data.decode("utf-8", errors="replace")
