from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from comptoir.accounts.models import Role, User

# An SVG that would run a script if it were served from our origin as an image/svg+xml document.
HOSTILE_SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
    b'<script>alert(document.cookie)</script><rect width="40" height="40" fill="#c00"/></svg>'
)


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (400, 200), colour: str = "#c2410c") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


def upload(data: bytes, name: str = "logo.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def admin(db) -> User:
    return User.objects.create_user("ada@example.com", name="Ada", role=Role.ADMIN, language="en")


def form_data(**changes: object) -> dict[str, object]:
    """The branding page's fields, all empty (the shipped look), with ``changes``."""
    data: dict[str, object] = {
        "name_fr": "",
        "name_en": "",
        "colour": "",
        "signature_fr": "",
        "signature_en": "",
    }
    for number in range(1, 6):
        data |= {f"link_{number}_label_fr": "", f"link_{number}_label_en": "", f"link_{number}_url": ""}
    return data | changes
