"""Personal data in web text: e-mail addresses, IP addresses and phone numbers, replaced."""

from __future__ import annotations

import ipaddress
import re

from streamflow.operators.text_refiner import TextRefiner

__all__ = ["PIIRefiner"]

_EMAIL = re.compile(
    r"(?<![\w.%+-])[^\W_](?:[\w.%+-]*[\w%+-])?"  # local part: no leading or trailing dot
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+([^\W\d_]{2,63})(?![\w-]|\.[^\W_])"
)
_FILE_EXTENSIONS = frozenset(  # "logo@2x.png" is an image name, not an address
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "css", "js", "json", "html", "htm"}
)

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
_IPV6 = re.compile(  # a candidate; ipaddress decides
    r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}|(?=::))(?::[0-9A-Fa-f]{0,4}){2,7}"
    r"(?:\.\d{1,3}){0,3}(?![\w:]|\.\w)"
)
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")  # the only IPv6 space handed out publicly
_NOT_AN_ADDRESS_BEFORE = re.compile(
    r"(?:\b(?:version|ver|v|release|build|firmware|update|patch|rev|section|chapter|art|no)"
    r"\.?|§)\s*[:#]?\s*\Z",
    re.IGNORECASE,
)  # "version 1.2.3.4", "§ 2.1.1.4": numbers shaped like an IPv4 address

_SEP = r"[ \u00a0.\-/]"
_PHONE = re.compile(
    # international: +49 30 1234567, +1 (415) 555-0100, +44 20 7946 0958, +49 (0)171 1234567
    rf"(?<![\w+])\+[1-9]\d{{0,2}}(?:{_SEP}?(?:\(\d{{1,5}}\)|\d{{1,5}})){{2,7}}(?![\w]|[.,]\d)"
    # North American: (415) 555-0100, 415-555-0100, 415.555.0100, 1-800-555-0199
    r"|(?<![\w+.,/\-])(?:1[ .\-])?(?:\([2-9]\d\d\)[ \u00a0]?|[2-9]\d\d[ .\-])[2-9]\d\d[ .\-]\d{4}"
    r"(?![\w]|[.,\-/]\d)"
    # national, with a trunk 0: 030 1234567, 030/123 45 67, (030) 1234-567, 0171-1234567
    r"|(?<![\w+.,/\-])(?:\(0\d{1,4}\)[ \u00a0]?|0\d{1,4}(?:[ \u00a0/\-]|\s?/\s?))"
    r"\d{2,8}(?:[ \u00a0\-]\d{2,6}){0,3}(?![\w]|[.,\-/]\d)"
    # French: 01 23 45 67 89, 01.23.45.67.89
    r"|(?<![\w+.,/\-])0[1-9](?:([ .])\d\d)(?:\1\d\d){3}(?![\w]|[.,\-/]\d)"
)
_MIN_PHONE_DIGITS = 9  # a trunk 0 or country code plus subscriber number: no date or price has 9
_MAX_PHONE_DIGITS = 15  # E.164


def _digits(s: str) -> int:
    return sum(c.isdigit() for c in s)


class PIIRefiner(TextRefiner):
    """Replaces e-mail addresses, IP addresses and phone numbers with placeholders.

    After FineWeb's PII step (Penedo et al. 2024, sec. 3.5: datatrove's ``PIIFormatter``, which
    anonymises e-mail addresses and public IP addresses), plus phone numbers. Each kind can be
    switched off; its placeholder is configurable.

    - **E-mail**: ``name@host.tld`` (any letters, the top-level domain alphabetic), not image
      or script names such as ``logo@2x.png``.
    - **IP**: IPv4 and IPv6 addresses that Python's ``ipaddress`` accepts (an IPv6 one with
      at least one digit, so C++ names like ``dead::beef`` are kept). With ``public_ips_only``
      (the default, as FineWeb), private, loopback, link-local, reserved and documentation
      addresses (``192.168.0.1``, ``127.0.0.1``, ``fe80::1``, ``192.0.2.1``, ``2001:db8::1``)
      and IPv6 addresses outside the global unicast range 2000::/3 are kept: they identify no
      one. Four numbers inside a word or a longer dotted number
      (``v1.2.3.4``, ``1.2.3.4.5``) or after "version", "build", "§", "section" and the like
      are version or section numbers and are kept.
    - **Phone**: international numbers (``+49 30 1234567``, ``+1 (415) 555-0100``), North
      American ones (``(415) 555-0100``, ``415-555-0100``, ``1-800-555-0199``), national ones
      starting with a trunk 0 (``030 1234567``, ``0171/1234567``, ``(030) 123 45 67``) and the
      French ``01 23 45 67 89``, with 9 to 15 digits in all. Years, dates (``23.10.2018``,
      ``2018-10-23``), times, prices (``$1,299.99``), ISBNs and ranges (``1990-2000``) are not
      phone-shaped and are kept; a bare run of digits (``4155550100``) is kept too, as it is as
      likely an order or customer number.

    Placeholders default to ``<EMAIL>``, ``<IP>`` and ``<PHONE>``: fixed, so a row is rewritten
    the same way on every run (resume and incremental runs stay exact), and they match none of
    the patterns, so refining twice changes nothing. FineWeb instead writes realistic values
    and cycles through several (``email@example.com``, ``firstname.lastname@example.org``, six
    random IPs), which depends on the order rows arrive in; ``email="email@example.com",
    ip="192.0.2.1"`` gives the realistic style deterministically (``example.com`` and
    192.0.2.0/24 are reserved for documentation, so they are never anyone's). The patterns are
    built for Latin-script text; streamflow keeps no count of replacements (operators have no
    counters of their own).
    """

    def __init__(
        self,
        emails: bool = True,
        ips: bool = True,
        phones: bool = True,
        public_ips_only: bool = True,
        email: str = "<EMAIL>",
        ip: str = "<IP>",
        phone: str = "<PHONE>",
    ) -> None:
        self.emails = emails
        self.ips = ips
        self.phones = phones
        self.public_ips_only = public_ips_only
        self.email = email
        self.ip = ip
        self.phone = phone

    def refine(self, text: str) -> str:
        if self.emails and "@" in text:
            text = _EMAIL.sub(self._email, text)
        if self.ips:
            if "::" in text or text.count(":") >= 7:
                text = _IPV6.sub(self._ipv6, text)
            if "." in text:
                text = _IPV4.sub(self._ipv4, text)
        if self.phones:
            text = _PHONE.sub(self._phone, text)
        return text

    def _email(self, m: re.Match[str]) -> str:
        return m[0] if m[1].lower() in _FILE_EXTENSIONS else self.email

    def _ipv4(self, m: re.Match[str]) -> str:
        if _NOT_AN_ADDRESS_BEFORE.search(m.string, max(0, m.start() - 16), m.start()):
            return m[0]
        return self._ip(m[0])

    def _ipv6(self, m: re.Match[str]) -> str:
        candidate = m[0]
        if "::" not in candidate and candidate.count(":") != 7:
            return candidate
        if not any(c.isdigit() for c in candidate):
            return candidate  # "a::b", "dead::beef": C++ names more often than addresses
        return self._ip(candidate)

    def _ip(self, candidate: str) -> str:
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            return candidate
        if self.public_ips_only and not (
            address.is_global and (address.version == 4 or address in _GLOBAL_UNICAST)
        ):
            return candidate
        return self.ip

    def _phone(self, m: re.Match[str]) -> str:
        number = m[0]
        if not _MIN_PHONE_DIGITS <= _digits(number) <= _MAX_PHONE_DIGITS:
            return number
        return self.phone
