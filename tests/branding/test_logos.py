"""A logo upload: raster images re-encoded and scaled down, SVG and everything else refused."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from comptoir.branding.logos import MAX_HEIGHT, logo_prepare
from tests.branding.conftest import HOSTILE_SVG, image_bytes


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(
    ("kind", "content_type", "extension"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("WEBP", "image/webp", "webp")],
)
def test_it_scales_a_tall_raster_logo_down_to_the_maximum_height(kind, content_type, extension):
    logo = logo_prepare(image_bytes(kind, size=(800, 400)))
    assert (logo.content_type, logo.extension) == (content_type, extension)
    image = opened(logo.content)
    assert image.format == kind
    assert image.size == (MAX_HEIGHT * 2, MAX_HEIGHT)  # the proportions kept
    assert logo.digest == hashlib.sha256(logo.content).hexdigest()[:16]


def test_it_never_enlarges_a_small_logo():
    assert opened(logo_prepare(image_bytes(size=(60, 20))).content).size == (60, 20)


def test_it_reencodes_so_nothing_appended_to_the_image_is_kept():
    polyglot = image_bytes(size=(40, 20)) + b"<script>alert(1)</script>"
    assert b"<script>" not in logo_prepare(polyglot).content


def test_it_refuses_an_svg_whatever_its_name():
    with pytest.raises(ValidationError) as refused:
        logo_prepare(HOSTILE_SVG)
    assert refused.value.code == "logo_format"
    assert "SVG" in refused.value.messages[0]


@pytest.mark.parametrize("data", [image_bytes("GIF"), b"%PDF-1.7\n", b"", image_bytes()[:60]])
def test_it_refuses_other_formats_and_broken_images(data):
    with pytest.raises(ValidationError) as refused:
        logo_prepare(data)
    assert refused.value.code == "logo_format"


def test_it_refuses_an_image_declaring_too_many_pixels_before_decoding_it():
    # 1-bit pixels: a small file for 36 million pixels.
    out = io.BytesIO()
    Image.new("1", (6000, 6000)).save(out, "PNG")
    with pytest.raises(ValidationError) as refused:
        logo_prepare(out.getvalue())
    assert refused.value.code == "logo_pixels"


def test_it_refuses_a_file_over_two_megabytes():
    with pytest.raises(ValidationError) as refused:
        logo_prepare(image_bytes() + b"\0" * (2 * 1024 * 1024))
    assert refused.value.code == "logo_size"
