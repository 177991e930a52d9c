"""A MIME part's own headers (type, charset, disposition, name), and the attachments' safe file names."""

from __future__ import annotations

import functools
import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from email import policy as email_policy
from email.message import Message

from comptoir.mail.parsing.charsets import _decode_bytes, _raw_to_text, _single_line
from comptoir.mail.parsing.headers import _decode_encoded_words, _header_text
from comptoir.mail.parsing.limits import _MAX_MIME_HEADER_CHARS, MAX_FILENAME_CHARS, MAX_HEADER_TEXT_CHARS


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    declared_type: str
    content: bytes
    content_id: str | None
    inline: bool


_MIME_HEADERS = frozenset({"content-type", "content-disposition", "content-id"})


@dataclass(frozen=True)
class _MimeView:
    type: str
    charset: str | None
    disposition: str | None
    filename: str | None
    content_id: str | None
    start: str | None


def _mime_view(part: Message) -> _MimeView:
    """Read MIME headers of a part through a private compat32 message.

    The part's own policy may be ``policy.default``, whose structured header
    parser raises on some malformed parameters; compat32 never does, and we
    hand it text already decoded with our charset fallbacks.
    """
    view = Message(policy=email_policy.compat32)
    view.set_default_type(part.get_default_type())
    for name, value in part.raw_items():
        if str(name).lower() in _MIME_HEADERS:
            view.set_raw(str(name), _header_text(str(value)[:_MAX_MIME_HEADER_CHARS]))
    filename = _param(view, "filename", "content-disposition") or _param(view, "name", "content-type")
    content_id_raw = view.get("content-id")
    return _MimeView(
        type=view.get_content_type(),
        charset=_param(view, "charset", "content-type"),
        disposition=view.get_content_disposition(),
        filename=filename,
        content_id=_clean_content_id(str(content_id_raw)) if content_id_raw else None,
        start=_param(view, "start", "content-type"),
    )


def _param(view: Message, name: str, header: str) -> str | None:
    value = view.get_param(name, None, header)
    if value is None:
        return None
    if isinstance(value, tuple):
        # RFC 2231: compat32 hands back percent-decoded bytes as latin-1 text.
        charset, _language, text = value
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "replace")
        decoded, _ = _decode_bytes(data, charset or "utf-8")
    else:
        # Outlook and others put RFC 2047 words inside quoted parameters.
        decoded = _decode_encoded_words(str(value))
    return decoded.replace("\x00", "")


def _content_id_of(part: Message) -> str | None:
    for name, value in part.raw_items():
        if str(name).lower() == "content-id":
            return _clean_content_id(_header_text(str(value)))
    return None


def _clean_content_id(raw: str) -> str | None:
    value = _single_line(raw).strip().strip("<>").strip()
    if not value or len(value) > MAX_HEADER_TEXT_CHARS:
        return None
    return value


_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _sanitise_filename(name: str | None, fallback: str) -> str:
    """Base name only, no control/bidi characters, at most 255 chars."""
    if not name:
        return fallback
    text = unicodedata.normalize("NFC", _raw_to_text(name))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _WINDOWS_DRIVE.sub("", text)
    # Tabs and newlines become spaces; other controls and Cf characters
    # (bidi overrides that disguise "invoice\u202egpj.exe") are dropped.
    text = "".join(" " if char.isspace() else char for char in text if char.isspace() or not _is_unsafe_char(char))
    text = " ".join(text.split()).strip(" .")
    if len(text) > MAX_FILENAME_CHARS:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            keep = MAX_FILENAME_CHARS - len(extension) - 1
            text = f"{stem[:keep].rstrip(' .')}.{extension}"
        else:
            text = text[:MAX_FILENAME_CHARS].rstrip(" .")
    return text or fallback


@functools.cache
def _builtin_mime_types() -> mimetypes.MimeTypes:
    # A fresh instance knows only Python's built-in table, so fallback names
    # do not depend on the host's /etc/mime.types.
    return mimetypes.MimeTypes()


def _is_unsafe_char(char: str) -> bool:
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def _extension_for(content_type: str) -> str:
    if content_type == "message/rfc822":
        return ".eml"
    guessed = _builtin_mime_types().guess_extension(content_type, strict=False)
    if guessed:
        return guessed
    return ".txt" if content_type.split("/", 1)[0] in ("text", "message") else ".bin"
