"""Charsets and raw text: bytes and surrogate-escaped header values decoded with our fallbacks."""

from __future__ import annotations

import codecs
import re

from comptoir.mail.parsing.limits import _MAX_CHARSET_NAME_CHARS

# Decoders that are strict supersets of commonly declared charsets: senders
# routinely label Windows text with the ISO/legacy name.
_CODEC_SUPERSETS = {
    "iso8859_1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
}
# Single-byte "western" labels are so often slapped on UTF-8 text that valid
# UTF-8 wins over them; real latin-1 text is almost never valid UTF-8.
_WESTERN_CODECS = frozenset({"ascii", "cp1252", "iso8859_15"})


def _codec_for(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").strip().lower()
    if not name or len(name) > _MAX_CHARSET_NAME_CHARS:
        return None
    try:
        codec = codecs.lookup(name).name.replace("-", "_")
        b"".decode(codec)  # rejects bytes-to-bytes codecs such as base64
    except Exception:
        return None
    return _CODEC_SUPERSETS.get(codec, codec)


def _decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode with declared charset -> UTF-8 -> cp1252; return (text, problem)."""
    codec = _codec_for(charset)
    problem = None
    if charset and codec is None:
        problem = f"unknown charset {charset.strip()[:_MAX_CHARSET_NAME_CHARS]!r}"
    if codec in _WESTERN_CODECS and not data.isascii():
        try:
            return _strip_bom(data.decode("utf-8")), problem
        except UnicodeDecodeError:
            pass
    if codec is not None:
        try:
            return _strip_bom(data.decode(codec)), problem
        except Exception:
            problem = f"data does not match declared charset {codec}"
    try:
        return _strip_bom(data.decode("utf-8")), problem
    except UnicodeDecodeError:
        pass
    if codec is not None and codec not in _WESTERN_CODECS:
        # A few bad bytes in e.g. Shift-JIS text: keep the right script.
        # (_codec_for already proved the codec decodes, so "replace" is safe.)
        return _strip_bom(data.decode(codec, "replace")), problem
    return data.decode("cp1252", "replace"), problem


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _raw_to_text(value: object) -> str:
    """Turn a parser-stored header value (surrogate-escaped bytes) into text."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii():
        return text
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    # No charset is declared for raw 8-bit headers: UTF-8 (RFC 6532), else cp1252.
    decoded, _ = _decode_bytes(data, None)
    return decoded


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _single_line(text: str) -> str:
    return " ".join(_CONTROL_CHARS.sub(" ", text).split())


def _normalise_body_text(text: str) -> str:
    # NUL cannot be stored in PostgreSQL text columns.
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
