"""Decoding HTML bytes: BOMs, declared charsets that fit or do not, UTF-8, then cp1252."""

from __future__ import annotations

import pytest

from streamflow.io.html import decode_html


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("<p>naïve</p>".encode("utf-16"), "<p>naïve</p>"),
        (b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", "<p>café</p>"),
        (b"<p>caf\xc3\xa9</p>", "<p>café</p>"),  # no declaration: UTF-8
        (b"<p>caf\xe9</p>", "<p>café</p>"),  # no declaration, not UTF-8: cp1252
        (b'<meta charset="utf-8"><p>caf\xe9</p>', '<meta charset="utf-8"><p>café</p>'),
        (b'<meta charset="no-such-codec"><p>x</p>', '<meta charset="no-such-codec"><p>x</p>'),
        (b'<meta charset="utf-16"><p>x</p>', '<meta charset="utf-16"><p>x</p>'),
    ],
)
def test_decode_html(data: bytes, text: str) -> None:
    assert decode_html(data) == text


def test_the_http_charset_comes_first() -> None:
    assert decode_html(b"<p>caf\xe9</p>", charset="latin-1") == "<p>café</p>"
    assert decode_html("<p>ж</p>".encode("koi8-r"), charset="koi8-r") == "<p>ж</p>"
