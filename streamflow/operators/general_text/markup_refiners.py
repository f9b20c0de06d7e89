"""Markup refiners: HTML entities and tags, URLs, wiki citations and image references left in
extracted text (DataFlow's ``general_text/refine``).

Common behaviour: see :mod:`streamflow.operators.text_refiner`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from streamflow.operators.text_refiner import TextRefiner

__all__ = [
    "HtmlEntityRefiner",
    "HtmlUrlRemoverRefiner",
    "ReferenceRemoverRefiner",
    "RemoveImageRefsRefiner",
]


_DEFAULT_HTML_ENTITIES = (
    "nbsp", "lt", "gt", "amp", "quot", "apos", "hellip", "ndash", "mdash",
    "lsquo", "rsquo", "ldquo", "rdquo",
)  # fmt: skip


class HtmlEntityRefiner(TextRefiner):
    """Deletes the named HTML entities left in extracted text (``&nbsp;``, ``&amp;``, ...).

    As in DataFlow, each entity is also matched with a full-width ampersand or semicolon
    (``＆nbsp；``), which is how they survive in Chinese text, and it is removed, not decoded.
    """

    def __init__(self, html_entities: Sequence[str] = _DEFAULT_HTML_ENTITIES) -> None:
        if not html_entities:
            raise ValueError(f"{self.name}: html_entities is empty")
        names = "|".join(re.escape(e) for e in sorted(html_entities, key=len, reverse=True))
        self._pattern = re.compile(f"[&＆](?:{names})[;；]")

    def refine(self, text: str) -> str:
        return self._pattern.sub("", text)


_HTML_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>|<![^<>]*>", re.DOTALL)
_URL = re.compile(r"https?://\S*[^\s.,;:!?)\]}>'\"]")


class HtmlUrlRemoverRefiner(TextRefiner):
    """Deletes HTML tags and comments, then ``http(s)://`` URLs.

    Narrower than DataFlow: only things shaped like tags are removed (``1 < 2 > 0`` survives),
    tags go before URLs (so a URL inside an attribute cannot break its tag apart), and the line
    break after a URL is kept.
    """

    def refine(self, text: str) -> str:
        if "<" in text:
            text = _HTML_TAG.sub("", text)
        return _URL.sub("", text) if "://" in text else text


# Every branch starts with a literal, which lets the regex engine skip ahead; the hashed file
# name cannot, so it has a regex of its own, run only where an image file name ends with ")".
_IMAGE_REF = re.compile(
    r"!\[[^\]\n]*\]\([^)\s]*\)?"  # Markdown image, also cut off before its ")"
    r"|图\s*\d+-\d+：[\u4e00-\u9fa5A-Za-z0-9]+"  # figure label: 图 3-2：流程图
    r"|u200e|&#247;|\? :|�|□|\{/U\}"  # PDF-to-text artefacts DataFlow lists
    r"|U\+26[0-9A-F][0-9A-D]|U\+273[34]|U\+1F[3-6][0-4][0-9A-F]|U\+1F6[89A-F][0-9A-F]"
)
_IMAGE_LINK_END = re.compile(r"\.(?:jpe?g|png|gif|bmp|webp)\)")
_HASHED_IMAGE_NAME = re.compile(r"[0-9a-fA-F]{8,}\.(?:jpe?g|png|gif|bmp|webp)\)")


class RemoveImageRefsRefiner(TextRefiner):
    """Deletes image references left by PDF/OCR-to-Markdown converters: ``![...](images/....jpg)``
    (whole or truncated), the hashed file name left of a broken one (``3fa9c0d1e2.jpg)``), Chinese
    figure labels and emoji code-point notation (``U+1F600``).

    DataFlow's list also deletes any run of seven letters or digits and any five Chinese numerals;
    those rules erase ordinary words (``science``) and years (``一九九七``) and are left out.
    """

    def refine(self, text: str) -> str:
        text = _IMAGE_REF.sub("", text)
        if _IMAGE_LINK_END.search(text) is None:
            return text
        return _HASHED_IMAGE_NAME.sub("", text)


_WIKI_REF = re.compile(
    r"<ref\b[^>]*/>"  # self-closing <ref name="a"/>
    r"|<ref\b[^>]*>.*?</ref>"
    r"|<ref\b[^>]*>.*?/br>?"  # closed by a stray </br> instead of </ref>
    r"|<ref\b[^>]*>[^<]*$"  # left open at the end of the text
)
_WIKI_CITE = re.compile(r"\{\{[Cc]ite\s+\w+\s*\|[^}]*(?:\}\}|$)")


class ReferenceRemoverRefiner(TextRefiner):
    """Deletes wiki citation markup: ``<ref>...</ref>`` tags, also unclosed or self-closing, and
    ``{{cite ...|...}}`` templates, also unclosed at the end of the text.

    Beyond DataFlow: self-closing ``<ref name="a"/>`` is matched on its own (DataFlow's pattern
    would run on to the next ``</ref>`` and delete the text between), and ``{{Cite web |...}}``
    with a capital or a space before ``|`` is matched too.
    """

    def refine(self, text: str) -> str:
        if "<ref" in text:
            text = _WIKI_REF.sub("", text)
        return _WIKI_CITE.sub("", text) if "{{" in text else text
