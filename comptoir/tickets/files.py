"""Which files a ticket accepts: the type comes from the content, never the name."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import IO

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from comptoir.core.typography import file_size

# Content types detected from the first bytes, mapped to the type we store.
_BINARY_TYPES = {
    "image/png": "image/png",
    "image/jpeg": "image/jpeg",
    "image/gif": "image/gif",
    "image/webp": "image/webp",
    "image/heic": "image/heic",
    "image/heif": "image/heic",
    "application/pdf": "application/pdf",
    "application/zip": "application/zip",
    "video/mp4": "video/mp4",
    "video/webm": "video/webm",
    "video/quicktime": "video/quicktime",
}
_TEXT_EXTENSIONS = {"csv": "text/csv"}
# The extensions a file name may end with for each type we store; the first is
# the one given to a file whose name says another type (or none): a page saved
# as "evil.html" but holding text is kept as "evil.html.txt", so that once
# downloaded it opens as the text it is, never as a page or a program.
_EXTENSIONS = {
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg", "jpe", "jfif"),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "image/heic": ("heic", "heif"),
    "application/pdf": ("pdf",),
    "application/zip": ("zip",),
    "video/mp4": ("mp4", "m4v"),
    "video/webm": ("webm",),
    "video/quicktime": ("mov", "qt"),
    "text/plain": ("txt", "log", "text"),
    "text/csv": ("csv",),
}
ACCEPTED_EXTENSIONS = "png, jpeg, gif, webp, heic, pdf, txt, log, csv, zip, mp4, webm, mov"
ACCEPT_ATTRIBUTE = ",".join(
    [
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/heic", ".heic",
        "application/pdf", "text/plain", ".log", "text/csv", ".csv", "application/zip", ".zip",
        "video/mp4", "video/webm", "video/quicktime", ".mov",
    ]
)  # fmt: skip
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class NewAttachment:
    """A file accepted by the rules below, with its content, ready for a ticket service."""

    checked: CheckedFile
    content: IO[bytes]


def max_bytes() -> int:
    return int(settings.COMPTOIR_ATTACHMENT_MAX_BYTES)


def max_files() -> int:
    return int(settings.COMPTOIR_ATTACHMENT_MAX_FILES)


def attachment_rules() -> dict[str, object]:
    """The limits every attachment field states next to it (requester and agent pages alike)."""
    return {
        "max_files": max_files(),
        "max_bytes": max_bytes(),
        "max_size": file_size(max_bytes()),
        "accepted": ACCEPTED_EXTENSIONS,
    }


def clean_filename(name: str) -> str:
    """A display name safe to put in a header: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip().strip(".") or "file"
    return base[:200]


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 4:
            return False
    return True


def detect_type(head: bytes, filename: str) -> str | None:
    kind = filetype.guess(head)
    if kind is not None:
        return _BINARY_TYPES.get(kind.mime)
    if head and _looks_like_text(head):
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        return _TEXT_EXTENSIONS.get(extension, "text/plain")
    return None


def named_for_type(name: str, content_type: str) -> str:
    """The name, with the extension of the type found in the content when the name says another."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = _EXTENSIONS[content_type]
    return name if extension in allowed else f"{name}.{allowed[0]}"


def check_file(stream: IO[bytes], filename: str, size: int) -> CheckedFile:
    """Accept or refuse one file, with a message that names the rule it broke."""
    name = clean_filename(filename)
    if size > max_bytes():
        raise ValidationError(
            _("“%(name)s” is %(size)s; files can be at most %(limit)s each.")
            % {"name": name, "size": file_size(size), "limit": file_size(max_bytes())},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    stream.seek(0)
    head = stream.read(_SNIFF_BYTES)
    content_type = detect_type(head, name)
    if content_type is None:
        raise ValidationError(
            _("“%(name)s” is not a file type we accept. Accepted types: %(types)s.")
            % {"name": name, "types": ACCEPTED_EXTENSIONS},
            code="bad_type",
        )
    digest = hashlib.sha256(head)
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
    stream.seek(0)
    return CheckedFile(
        filename=named_for_type(name, content_type), content_type=content_type, size=size, sha256=digest.hexdigest()
    )


def accept_file(stream: IO[bytes], filename: str, size: int) -> NewAttachment:
    """The one way a file from the web form or an e-mail becomes an attachment to be."""
    return NewAttachment(checked=check_file(stream, filename, size), content=stream)


def too_many_files_message(count: int) -> str:
    return _("You attached %(count)d files; at most %(limit)d files can be attached.") % {
        "count": count,
        "limit": max_files(),
    }
