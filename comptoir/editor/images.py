"""Images for Help Center articles: which files are accepted and what is kept of them.

Pure: bytes in, a prepared image out (or a refusal that names the rule), no database.
The type comes from the content, never from the name, and only raster types a
browser shows inline are accepted (no SVG: it can carry script). Still images are
decoded and encoded again: wider ones are shrunk to MAX_WIDTH, and whatever rode
along in the file (camera location, comments, a second file glued to the end) is
left behind. Animated GIF and WebP are kept as sent, within the size limit, since
shrinking them frame by frame would cost more than the page gains.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import filetype
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from comptoir.core.typography import file_size

if TYPE_CHECKING:
    from PIL import Image

# Room for a full-screen screenshot before it is shrunk.
MAX_BYTES = 10 * 1024 * 1024
# Wide enough for a sharp screenshot on a large screen; the article's column shows it smaller.
MAX_WIDTH = 1600
# A small file may still unpack into a huge bitmap: refuse before decoding it.
MAX_PIXELS = 40_000_000
ACCEPTED = "PNG, JPEG, WebP, GIF"
# Detected type -> (Pillow's format name, file extension).
TYPES = {
    "image/png": ("PNG", "png"),
    "image/jpeg": ("JPEG", "jpg"),
    "image/webp": ("WEBP", "webp"),
    "image/gif": ("GIF", "gif"),
}
ACCEPT_ATTRIBUTE = ",".join(TYPES)
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def _refuse_type() -> ValidationError:
    return ValidationError(
        _("This file is not an image we accept. Accepted types: %(types)s.") % {"types": ACCEPTED}, code="bad_type"
    )


def check_size(size: int) -> None:
    """Refuse a file larger than MAX_BYTES, saying both sizes."""
    if size > MAX_BYTES:
        raise ValidationError(
            _("This image is %(size)s; images can be at most %(limit)s.")
            % {"size": file_size(size), "limit": file_size(MAX_BYTES)},
            code="too_large",
        )


def image_prepare(data: bytes) -> PreparedImage:
    """Accept the bytes as an article image, shrunk and cleaned, or refuse them with the rule they broke."""
    check_size(len(data))
    kind = filetype.guess(data[:_SNIFF_BYTES])
    if kind is None or kind.mime not in TYPES:
        raise _refuse_type()
    content_type = kind.mime
    pillow_format, extension = TYPES[content_type]
    # Pillow on first use: every web process mounts the editor's URLs, few requests upload an image.
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data), formats=[pillow_format])
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(
                _("This image is %(width)d × %(height)d pixels; images can hold at most %(limit)d million pixels.")  # noqa: RUF001
                % {"width": image.width, "height": image.height, "limit": MAX_PIXELS // 1_000_000},
                code="too_many_pixels",
            )
        frames = int(getattr(image, "n_frames", 1))
        if frames > 1:
            image.seek(frames - 1)  # Reads every frame: a broken one is refused here.
            width, height = image.size
        else:
            data, width, height = _encode_again(image, pillow_format)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, EOFError) as error:
        raise _refuse_type() from error
    return PreparedImage(
        data=data,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _encode_again(image: Image.Image, pillow_format: str) -> tuple[bytes, int, int]:
    """The pixels alone, upright (as the camera's orientation tag says), at most MAX_WIDTH wide."""
    from PIL import Image, ImageOps

    upright = ImageOps.exif_transpose(image) or image
    if upright.width > MAX_WIDTH:
        height = max(1, round(upright.height * MAX_WIDTH / upright.width))
        upright = upright.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
    options: dict[str, object] = {}
    if pillow_format == "JPEG":
        upright = upright.convert("RGB")
        options = {"quality": 85, "optimize": True, "progressive": True}
    elif pillow_format == "WEBP":
        options = {"quality": 85}
    elif pillow_format == "PNG":
        options = {"optimize": True}
    out = io.BytesIO()
    upright.save(out, format=pillow_format, **options)
    return out.getvalue(), upright.width, upright.height


# Characters that would end the image's description, or its Markdown line, early.
_ALT_BREAKERS = re.compile(r"[\[\]\r\n]+")


def image_markdown(token: str, extension: str, alt: str) -> str:
    """The Markdown that shows a stored image in an article: its description, then its address."""
    url = reverse("article_image", kwargs={"token": token, "extension": extension})
    return f"![{_ALT_BREAKERS.sub(' ', alt).strip()}]({url})"


def body_with_image(body: str, snippet: str, at: int | None) -> str:
    """The text with ``snippet`` as a paragraph of its own at ``at`` (where the cursor was), else at the end."""
    if at is None or not 0 <= at <= len(body):
        at = len(body)
    parts = [part for part in (body[:at].rstrip(), snippet, body[at:].lstrip("\r\n")) if part]
    return "\n\n".join(parts).rstrip() + "\n"
