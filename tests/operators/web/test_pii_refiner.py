"""PIIRefiner: what it replaces, and the look-alikes (versions, dates, prices) it keeps."""

from __future__ import annotations

import pytest

from streamflow.operators.registry import OPERATORS
from streamflow.operators.web import PIIRefiner
from streamflow.testing import apply

PII = PIIRefiner()


def test_registered_as_a_text_refiner_and_rewrites_the_bound_field():
    assert OPERATORS.get("PIIRefiner") is PIIRefiner
    assert OPERATORS.info("PIIRefiner").kind == "refiner"
    rows = [{"text": "Write to ana@example.org today.", "id": 7}]
    out = apply(PII, rows, input_key="text")
    assert out.batch.rows == [{"text": "Write to <EMAIL> today.", "id": 7}]
    assert rows[0]["text"] == "Write to ana@example.org today."  # the input row is not changed
    with pytest.raises(TypeError, match=r"PIIRefiner.*'text'"):
        PII.process([{"text": None}], input_key="text")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail john.doe+news@mail.example.co.uk.", "mail <EMAIL>."),
        ("(jörg_m@müller-bau.de)", "(<EMAIL>)"),
        ("a@b.c, x@y, @handle, user@localhost", "a@b.c, x@y, @handle, user@localhost"),
        ("logo@2x.png and icon@3x.webp", "logo@2x.png and icon@3x.webp"),
        ("pkg@1.2.3", "pkg@1.2.3"),
        ("", ""),
    ],
)
def test_emails(text, expected):
    assert PII.refine(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DNS 8.8.8.8:53 and 93.184.216.34.", "DNS <IP>:53 and <IP>."),
        ("LAN 192.168.1.1, 10.0.0.7, 127.0.0.1, 169.254.1.1", None),  # private, loopback, ...
        ("docs 192.0.2.1 and 203.0.113.5", None),  # reserved for documentation
        ("version 1.2.3.4, v1.2.3.4, build 8.8.8.8, § 2.1.4.4", None),
        ("1.2.3.4.5 and 1.2.3 and 256.1.1.1 and 01.02.03.04", None),
        ("v6 2001:4860:4860::8888 and 2606:4700:4700:0:0:0:0:1111", "v6 <IP> and <IP>"),
        ("fe80::1, ::1, ::ffff:192.168.0.1 and 2001:db8::1", None),
        ("10:30:45, std::vector, a::b, dead::beef, cafe::1 and 12:34", None),
    ],
)
def test_ip_addresses(text, expected):
    assert PII.refine(text) == (text if expected is None else expected)


def test_private_ips_too_when_asked():
    op = PIIRefiner(public_ips_only=False)
    assert op.refine("LAN 192.168.1.1 and fe80::1") == "LAN <IP> and <IP>"
    assert op.refine("dead::beef") == "dead::beef"
    assert op.refine("version 10.0.0.1") == "version 10.0.0.1"


@pytest.mark.parametrize(
    "phone",
    [
        "+49 30 1234567",
        "+49 (0)30 12345-678",
        "+1 (415) 555-0100",
        "+44 20 7946 0958",
        "+33 1 23 45 67 89",
        "(415) 555-0100",
        "415-555-0100",
        "415.555.0100",
        "1-800-555-0199",
        "030 1234567",
        "0171/1234567",
        "030 / 123 45 67",
        "(030) 123 45 67",
        "0171-1234567",
        "01 23 45 67 89",
        "01.23.45.67.89",
    ],
)
def test_phone_numbers(phone):
    assert PII.refine(f"Call {phone} today.") == "Call <PHONE> today."
    assert PII.refine(f"Tel.: {phone}") == "Tel.: <PHONE>"


@pytest.mark.parametrize(
    "text",
    [
        "In 2018 and 1990-2000 and 2018-10-23 and 23.10.2018 and 10/23/2018.",
        "Prices: $1,299.99, 1.299,99 €, 49,- EUR, 2,000,000 people, 12 345 678 visits.",
        "ISBN 978-3-16-148410-0 and 0-306-40615-2; at 10:30 or 08:15.",
        "Order 4155550100, zip 01067 Dresden, call 555-0100, page 0 12.",
        "Scores 3-1, 120/80 mmHg, version 1.2.3, §§ 123-456.",
    ],
)
def test_look_alikes_are_kept(text):
    assert PII.refine(text) == text


def test_kinds_can_be_switched_off_and_placeholders_set():
    text = "ana@example.org 8.8.8.8 +49 30 1234567"
    assert PIIRefiner(emails=False).refine(text) == "ana@example.org <IP> <PHONE>"
    assert PIIRefiner(ips=False, phones=False).refine(text) == "<EMAIL> 8.8.8.8 +49 30 1234567"
    realistic = PIIRefiner(email="email@example.com", ip="192.0.2.1", phone="+1 555 0100")
    assert realistic.refine(text) == "email@example.com 192.0.2.1 +1 555 0100"


def test_refining_twice_changes_nothing():
    text = "ana@example.org, 8.8.8.8, 2001:4860::8888 and +49 30 1234567."
    once = PII.refine(text)
    assert once == "<EMAIL>, <IP>, <IP> and <PHONE>."
    assert PII.refine(once) == once
    realistic = PIIRefiner(email="email@example.com", ip="192.0.2.1")
    assert realistic.refine(realistic.refine(text)) == realistic.refine(text)


def test_text_without_pii_is_returned_unchanged():
    text = "Der Zug fährt um 10:30 Uhr ab Gleis 3; Tickets kosten 29,90 €. 中文文本。"
    assert PII.refine(text) == text
