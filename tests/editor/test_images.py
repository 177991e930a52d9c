"""Images in Help Center articles (issue 22): uploaded by editors into the text, shrunk, served safely."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from comptoir.accounts.demo import ensure_demo_accounts
from comptoir.accounts.models import Role, User
from comptoir.core.typography import file_size
from comptoir.editor import images
from comptoir.editor.access import can_edit_articles
from comptoir.editor.models import ArticleImage
from comptoir.editor.services import article_create
from comptoir.helpcenter.models import ArticleTranslation
from tests.editor.conftest import editor, editors_group, form_data, live_article, section, url  # noqa: F401

IMAGE_LINK = re.compile(r"!\[([^\]]*)\]\((/articles/images/[A-Za-z0-9_-]+\.(png|jpg|gif|webp))\)")


def picture(width: int, height: int, kind: str = "PNG", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 160)).save(out, format=kind, **save)
    return out.getvalue()


def upload(client, article, data: bytes, name: str = "shot.png", *, alt: str = "The export button", **fields):
    """The editor's form as the browser sends it with "Insert the image"."""
    return client.post(
        url("editor_article_image", article.pk, "fr"),
        {
            **form_data(title="Changer de mot de passe", body="Premier paragraphe.\n\nSecond paragraphe."),
            "image": SimpleUploadedFile(name, data),
            "image_alt": alt,
            **fields,
        },
    )


def typed_body(response) -> str:
    return response.context["form"]["body_markdown"].value()


def test_an_editor_inserts_an_image_that_is_shrunk_and_shown_in_the_preview(client, editor, live_article):  # noqa: F811
    client.force_login(editor)

    # The cursor was at the end of the first paragraph.
    response = upload(client, live_article, picture(2400, 600), cursor=len("Premier paragraphe."))

    assert response.status_code == 200
    body = typed_body(response)
    match = IMAGE_LINK.search(body)
    assert match is not None, body
    assert body == f"Premier paragraphe.\n\n{match.group(0)}\n\nSecond paragraphe.\n"
    assert match.group(1) == "The export button"
    stored = ArticleImage.objects.get()
    assert (stored.article, stored.uploaded_by, stored.content_type) == (live_article, editor, "image/png")
    assert (stored.width, stored.height) == (images.MAX_WIDTH, 400)
    assert f'<img alt="The export button" src="{match.group(2)}"' in response.content.decode()
    # Nothing is saved but the image: the live text and the history are as they were.
    assert "![" not in ArticleTranslation.objects.get(article=live_article, language="fr").body_markdown
    assert not live_article.revisions.exists()


def test_a_published_image_renders_in_the_article_and_is_served_inline_and_safely(client, editor, live_article):  # noqa: F811
    client.force_login(editor)
    body = typed_body(upload(client, live_article, picture(800, 300)))
    client.post(url("editor_article_publish", live_article.pk, "fr"), form_data(title="Changer", body=body))
    client.logout()
    src = IMAGE_LINK.search(body).group(2)

    translation = ArticleTranslation.objects.get(article=live_article, language="fr")
    page = client.get(url("article_detail", live_article.pk, translation.slug, language="fr"))
    assert f'<img alt="The export button" src="{src}"' in page.content.decode()

    served = client.get(src)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert served["Cache-Control"] == "public, max-age=86400"
    data = b"".join(served.streaming_content)
    assert int(served["Content-Length"]) == len(data)
    assert Image.open(io.BytesIO(data)).size == (800, 300)


def test_the_image_of_an_unpublished_article_is_for_editors_only(client, editor, section):  # noqa: F811
    draft = article_create(
        section=section, language="fr", title="Brouillon", summary="", body_markdown="", author=editor
    )
    client.force_login(editor)
    response = client.post(
        url("editor_article_image", draft.pk, "fr"),
        {**form_data(title="Brouillon", body=""), "image": SimpleUploadedFile("a.png", picture(10, 10))},
    )
    src = IMAGE_LINK.search(typed_body(response)).group(2)

    seen = client.get(src)
    assert seen.status_code == 200
    assert seen["Cache-Control"] == "private, no-store"
    client.logout()
    assert client.get(src).status_code == 404
    # A wrong extension or token finds nothing.
    assert client.get(src.replace(".png", ".gif")).status_code == 404
    assert client.get("/articles/images/not-a-token.png").status_code == 404


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("page.png", b"<html><body><script>alert(1)</script></body></html>"),
        ("notes.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    ],
)
def test_it_refuses_what_is_not_a_png_jpeg_webp_or_gif(client, editor, live_article, name, data):  # noqa: F811
    client.force_login(editor)

    response = upload(client, live_article, data, name)

    assert response.status_code == 400
    assert "Accepted types: PNG, JPEG, WebP, GIF." in response.content.decode()
    assert not ArticleImage.objects.exists()
    # What was typed comes back untouched.
    assert typed_body(response) == "Premier paragraphe.\n\nSecond paragraphe."


def test_it_refuses_an_image_over_the_limit_and_names_the_limit(client, editor, live_article):  # noqa: F811
    client.force_login(editor)
    too_big = picture(16, 16) + b"\x00" * images.MAX_BYTES

    response = upload(client, live_article, too_big)

    assert response.status_code == 400
    limit = file_size(images.MAX_BYTES, "en")
    assert limit == "10\u00a0MB"
    assert f"images can be at most {limit}" in response.content.decode()
    assert not ArticleImage.objects.exists()


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT])
def test_a_requester_or_an_agent_without_the_editor_role_cannot_upload(client, live_article, role):  # noqa: F811
    person = User.objects.create_user("someone@example.com", password="pw", name="Someone", role=role)
    client.force_login(person)

    response = upload(client, live_article, picture(10, 10))

    assert response.status_code == 403
    assert not ArticleImage.objects.exists()


def test_a_visitor_is_sent_to_log_in(client, live_article):  # noqa: F811
    response = upload(client, live_article, picture(10, 10))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not ArticleImage.objects.exists()


def test_a_jpeg_loses_its_camera_data_and_stands_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turned a quarter clockwise.
    exif[0x010F] = "Camera maker"
    prepared = images.image_prepare(picture(40, 20, "JPEG", exif=exif.tobytes()))

    kept = Image.open(io.BytesIO(prepared.data))
    assert (prepared.content_type, prepared.extension) == ("image/jpeg", "jpg")
    assert kept.size == (20, 40) == (prepared.width, prepared.height)
    assert not kept.getexif()


def test_an_animated_gif_is_kept_as_sent():
    frames = [Image.new("RGB", (30, 10), colour) for colour in ((200, 0, 0), (0, 0, 200))]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)

    prepared = images.image_prepare(out.getvalue())

    assert prepared.data == out.getvalue()
    assert (prepared.content_type, prepared.width, prepared.height) == ("image/gif", 30, 10)


def test_a_webp_is_accepted():
    prepared = images.image_prepare(picture(12, 8, "WEBP"))
    assert (prepared.content_type, prepared.extension, prepared.width) == ("image/webp", "webp", 12)


def test_the_description_cannot_break_out_of_the_markdown():
    snippet = images.image_markdown("tok", "png", "a ] (javascript:x) [b\nc")
    assert snippet == "![a   (javascript:x)  b c](/articles/images/tok.png)"


def test_without_a_cursor_the_image_goes_at_the_end_of_the_text():
    assert images.body_with_image("One.\n\nTwo.\n", "![x](/i.png)", None) == "One.\n\nTwo.\n\n![x](/i.png)\n"
    assert images.body_with_image("", "![x](/i.png)", 0) == "![x](/i.png)\n"
    assert images.body_with_image("One.", "![x](/i.png)", 99) == "One.\n\n![x](/i.png)\n"


def test_the_demo_agent_may_edit_articles(db, settings):
    settings.DEBUG = True
    editors_group()
    ensure_demo_accounts()

    assert can_edit_articles(User.objects.get(email="agent@example.com"))
    assert not can_edit_articles(User.objects.get(email="customer@example.com"))
