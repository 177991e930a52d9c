"""The logo's address: public, the image's own type, never sniffed, kept a year because its hash names it."""

from __future__ import annotations

import pytest

from comptoir.branding.logos import logo_prepare
from comptoir.branding.selectors import brand_get
from comptoir.branding.services import branding_update
from tests.branding.conftest import image_bytes

pytestmark = pytest.mark.django_db


def brand_with_logo(kind: str = "PNG") -> str:
    branding_update(
        name_fr="",
        name_en="",
        colour="",
        footer_links=[],
        signature_fr="",
        signature_en="",
        logo=logo_prepare(image_bytes(kind)),
    )
    return brand_get().logo_path


@pytest.mark.parametrize(("kind", "content_type"), [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_anyone_gets_the_logo_with_safe_headers_and_a_long_cache(client, kind, content_type):
    path = brand_with_logo(kind)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content)[:4] in (b"\x89PNG", b"RIFF")


def test_another_hash_or_extension_is_not_found(client):
    path = brand_with_logo()
    digest_and_extension = path.rsplit("/", 1)[1]
    assert client.get(path.replace(digest_and_extension, "0" * 16 + ".png")).status_code == 404
    assert client.get(path.replace(".png", ".svg")).status_code == 404


def test_without_a_logo_the_address_is_not_found(client):
    assert client.get("/branding/logo/0123456789abcdef.png").status_code == 404


def test_only_get_is_answered(client):
    assert client.post(brand_with_logo()).status_code == 405
