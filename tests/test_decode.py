"""Tests for corpus_utils.input.decode: every accepted encoding and every refusal."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_utils.input.decode import DecodeRefusal, decode_bytes

TEXT = "Title 检察院\nBody"

ACCEPTED = [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("utf-16"), "utf-16"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
    (TEXT.encode("gb18030"), "gb18030"),
    (TEXT.encode("gb2312"), "gb18030"),
]


@pytest.mark.parametrize("data, encoding", ACCEPTED)
def test_accepted(data, encoding):
    decoded = decode_bytes(data)
    assert (decoded.text, decoded.encoding) == (TEXT, encoding)


REFUSED = [
    (b"", "empty file"),
    (b"\n\n  ", "empty file"),
    ("  \n".encode("utf-16"), "empty file"),
    (b"PK\x03\x04\x00\x00", "binary file"),
    (b"\x01\x02\x03\x04\x05\x06" * 50, "binary file"),
    (b"abc \x80\x80", "undecodable bytes"),
]


@pytest.mark.parametrize("data, reason", REFUSED)
def test_refused(data, reason):
    with pytest.raises(DecodeRefusal) as error:
        decode_bytes(data)
    assert error.value.reason.startswith(reason)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=500))
def test_any_bytes_decode_or_refuse(data):
    try:
        decoded = decode_bytes(data)
    except DecodeRefusal as error:
        assert error.reason.split(":")[0] in {"empty file", "binary file", "undecodable bytes"}
    else:
        assert decoded.text.strip()
