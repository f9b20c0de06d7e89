"""Blocking URLs by domain, word and subword: the first step of a web-crawl pipeline."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from streamflow.actors.base import Filter
from streamflow.operators.fields import text_field
from streamflow.operators.web._web_filter import Verdict
from streamflow.rows import Row

__all__ = ["UrlBlocklistFilter", "read_domain_list"]

_URL_WORD_SPLIT = re.compile(r"[^0-9a-z]+")


def _host(url: str) -> str:
    """The host of ``url``, lower case, without port, user or trailing dot; "" if none."""
    url = url.strip()
    try:
        parts = urlsplit(url if "//" in url else "//" + url)
        host = parts.hostname or ""
    except ValueError:
        return ""
    return _ascii_host(host.rstrip("."))


def _ascii_host(host: str) -> str:
    if host.isascii():
        return host.lower()
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host.lower()


def _domain_entry(entry: str) -> str:
    """A blocklist entry as a bare host: "*.example.com", ".example.com", "https://example.com/x"
    and "Example.COM" all give "example.com"."""
    entry = entry.strip()
    if "/" in entry or ":" in entry:
        entry = _host(entry)
    return _ascii_host(entry.lstrip("*").lstrip(".").rstrip("."))


def read_domain_list(path: str | Path) -> frozenset[str]:
    """The domains in a file: one per line; blank lines and ``#`` comments are skipped."""
    with open(path, encoding="utf-8") as f:
        return frozenset(d for line in f if (d := _domain_entry(line.split("#", 1)[0])))


class UrlBlocklistFilter(Filter):
    """Drops rows whose URL's host, or any domain above it, is blocklisted.

    The usual first step of a web-crawl pipeline (FineWeb, RefinedWeb, datatrove's URLFilter):
    with ``domains={"example.com"}``, ``https://www.example.com/a``,
    ``http://ads.example.com:8080/`` and ``example.com`` are dropped, ``notexample.com`` is not.
    ``domains`` and the file ``domains_path`` (one domain per line, ``#`` comments) are merged;
    entries may be written ``*.example.com``, ``.example.com`` or as a URL. Hosts and entries
    are compared lower-cased, internationalised names in their ASCII (punycode) form.

    ``banned_words`` drops a URL that contains one of them as a whole word, the URL lower-cased
    and split at every character but a-z and 0-9 (``casino`` matches ``/best-casino/``, not
    ``/casinoroyale``); ``banned_subwords`` matches anywhere in the URL, lower-cased.

    streamflow ships no list: pass your own (the UT1 blocklists FineWeb used, for instance).
    Constructing the filter with nothing to block raises ``ValueError``, since an empty
    blocklist is almost always a mistake. A row whose URL has no host is kept unless a word
    matches. A reason names the rule and what matched: ``"url blocklist: domain example.com
    (host www.example.com)"``.
    """

    def __init__(
        self,
        domains: Iterable[str] = (),
        domains_path: str | Path | None = None,
        banned_words: Iterable[str] = (),
        banned_subwords: Iterable[str] = (),
    ) -> None:
        if isinstance(domains, str):
            raise TypeError(f"{self.name}: domains must be a collection of domains, not a string")
        blocked = {d for d in map(_domain_entry, domains) if d}
        if domains_path is not None:
            blocked |= read_domain_list(domains_path)
        self.domains = frozenset(blocked)
        self.banned_words = frozenset(w.strip().lower() for w in banned_words if w.strip())
        self.banned_subwords = tuple(w.strip().lower() for w in banned_subwords if w.strip())
        if not (self.domains or self.banned_words or self.banned_subwords):
            raise ValueError(
                f"{self.name}: the blocklist is empty; pass domains, domains_path, banned_words "
                "or banned_subwords (an empty list would keep every row)"
            )

    def process(self, rows: list[Row], input_key: str = "url") -> list[Verdict]:
        name = self.name
        check = self.check
        out: list[Verdict] = []
        for row in rows:
            reason = check(text_field(name, row, input_key))
            out.append(True if reason is None else (False, f"url blocklist: {reason}"))
        return out

    def check(self, url: str) -> str | None:
        """Why ``url`` is blocked, or None."""
        if self.domains:
            host = _host(url)
            domain = host
            while domain:
                if domain in self.domains:
                    return f"domain {domain} (host {host})" if domain != host else f"domain {host}"
                _, _, domain = domain.partition(".")
        if self.banned_words or self.banned_subwords:
            lower = url.lower()
            if self.banned_words:
                for word in _URL_WORD_SPLIT.split(lower):
                    if word in self.banned_words:
                        return f"banned word {word!r} in the URL"
            for sub in self.banned_subwords:
                if sub in lower:
                    return f"banned subword {sub!r} in the URL"
        return None
