"""CodeEncodedDataSampleEvaluator / Filter: StarCoder's base64, hex and unicode-escape rule."""

from __future__ import annotations

import base64

from streamflow.operators.code.encoded_data import (
    CodeEncodedDataFilter,
    CodeEncodedDataSampleEvaluator,
)
from streamflow.testing import apply

BLOB = base64.b64encode(bytes(range(256)) * 4).decode()
CODE = "def area(r):\n    return 3.14159 * r * r\n"


def test_each_pattern_measured() -> None:
    hexdump = " ".join(f"{i:02x}" for i in range(40))  # an xxd-style dump
    escapes = "".join(f"\\u{i:04x}" for i in range(0x4E00, 0x4E20))
    rows = [{"t": f'data = "{BLOB}"'}, {"t": f"dump = '{hexdump}'"}, {"t": f's = "{escapes}"'}]
    out = apply(CodeEncodedDataSampleEvaluator(), rows, input_key="t")
    first, second, third = out.batch.rows
    assert first["CodeEncodedDataBase64Ratio"] > 0.9 and first["CodeEncodedDataScore"] == 0.0
    assert second["CodeEncodedDataHexRatio"] > 0.8 and second["CodeEncodedDataScore"] == 0.0
    assert third["CodeEncodedDataUnicodeRatio"] > 0.8 and third["CodeEncodedDataScore"] == 0.0


def test_filter_keeps_code_with_a_little_data() -> None:
    small = CODE * 30 + f'ICON = "{BLOB[:200]}"\n'  # data, but well under half of the file
    rows = [{"t": CODE}, {"t": small}, {"t": f"X = '{BLOB}'"}]
    out = apply(CodeEncodedDataFilter(), rows, input_key="t")
    assert len(out.batch.rows) == 2
    assert 0 < out.batch.rows[1]["CodeEncodedDataBase64Ratio"] < 0.5
    assert "base64 data is" in out.dropped[0].reason
