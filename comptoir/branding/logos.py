"""A logo upload made safe: only PNG, JPEG or WebP, re-encoded by Pillow and scaled down. Pure: bytes in, bytes out.

SVG is refused rather than cleaned: an SVG is a document that can carry scripts and
outside references, and a logo served from our own origin must never run anything.
Re-encoding every raster image also drops whatever rode along in it (metadata, a
second file appended to the first), so what is served is only pixels.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

if TYPE_CHECKING:
    from PIL import Image

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# Twice the header's 48 px, for sharp rendering on high-density screens.
MAX_HEIGHT = 96
MAX_WIDTH = 480
# Refused before decoding: a small file may declare a huge image.
MAX_PIXELS = 25_000_000
# Pillow's format name → (the served content type, the stored file's extension).
ACCEPTED = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}
EXTENSIONS = dict(ACCEPTED.values())


@dataclass(frozen=True)
class Logo:
    content: bytes
    content_type: str
    extension: str
    # The first 16 hex digits of the content's SHA-256: the served address's cache key.
    digest: str


def _refusal() -> ValidationError:
    return ValidationError(
        gettext("The logo must be a PNG, JPEG or WebP image. SVG files are refused: they can carry scripts."),
        code="logo_format",
    )


def logo_prepare(data: bytes) -> Logo:
    """The image to store for an uploaded logo, or ValidationError saying why it cannot be one."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(gettext("The logo must weigh 2 MB at most."), code="logo_size")
    # Pillow on first use: every web process imports this module (the e-mails' branding), few upload a logo.
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        kind = image.format or ""
        if kind not in ACCEPTED:
            raise _refusal()
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(gettext("The logo's image is too large."), code="logo_pixels")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise _refusal() from error
    image.thumbnail((MAX_WIDTH, MAX_HEIGHT))  # keeps the proportions, never enlarges
    content_type, extension = ACCEPTED[kind]
    pixels: Image.Image = image
    out = io.BytesIO()
    if kind == "JPEG":
        pixels.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    else:
        if pixels.mode not in ("RGB", "RGBA", "L", "LA"):
            pixels = pixels.convert("RGBA")  # palettes and the rest, with their transparency
        options: dict[str, object] = {"optimize": True} if kind == "PNG" else {"quality": 90}
        pixels.save(out, kind, **options)
    content = out.getvalue()
    return Logo(content, content_type, extension, hashlib.sha256(content).hexdigest()[:16])
