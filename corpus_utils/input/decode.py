"""Turn a file's bytes into text: BOMs, UTF-8, UTF-16, GB18030, and the refusals (empty, binary, undecodable)."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["DecodedText", "DecodeRefusal", "decode_bytes"]

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BINARY_SAMPLE = 8192
_MAX_CONTROL_SHARE = 0.01


class DecodeRefusal(ValueError):
    """The bytes cannot be taken as text; ``reason`` says why in words fit for a load report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DecodedText:
    """Decoded text and the encoding that produced it (``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"``, ``"gb18030"``)."""

    text: str
    encoding: str


def _too_many_controls(text: str) -> bool:
    sample = text[:_BINARY_SAMPLE]
    return bool(sample) and len(_CONTROL_CHARS.findall(sample)) > _MAX_CONTROL_SHARE * len(sample)


def _decode_utf16(data: bytes) -> DecodedText:
    try:
        return DecodedText(data.decode("utf-16"), "utf-16")
    except UnicodeDecodeError as exc:
        raise DecodeRefusal(f"undecodable bytes: starts with a UTF-16 byte-order mark but {exc.reason} at byte {exc.start}") from exc


def _decode_unmarked(data: bytes) -> DecodedText:
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return DecodedText(data.decode("gb18030"), "gb18030")
        except UnicodeDecodeError:
            raise DecodeRefusal(
                f"undecodable bytes: neither UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) nor GB18030; "
                "re-save the file as UTF-8"
            ) from utf8_error


def decode_bytes(data: bytes) -> DecodedText:
    """Decode a scraped page.

    Order: UTF-8 byte-order mark, UTF-16 byte-order marks, then strict UTF-8, then GB18030 (a
    superset of GBK and GB2312, the encodings of many Chinese government sites).

    Raises
    ------
    DecodeRefusal
        For an empty (or whitespace-only) file, a binary file (NUL bytes or control characters),
        or bytes that no supported encoding accepts. The message is a load-report reason.
    """
    if not data.strip():
        raise DecodeRefusal("empty file: it holds no text")
    if data.startswith(codecs.BOM_UTF8):
        try:
            decoded = DecodedText(data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DecodeRefusal(f"undecodable bytes: UTF-8 byte-order mark but {exc.reason} at byte {exc.start + 3}") from exc
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoded = _decode_utf16(data)
    elif b"\x00" in data[:_BINARY_SAMPLE]:
        raise DecodeRefusal("binary file: it contains NUL bytes (an image, archive or office document?)")
    else:
        decoded = _decode_unmarked(data)
    if _too_many_controls(decoded.text):
        raise DecodeRefusal("binary file: too many control characters to be text")
    if not decoded.text.strip():
        raise DecodeRefusal("empty file: it holds no text")
    return decoded
