"""An inbound e-mail's own page: the formatted version is safe, inline images come from the stored message."""

from __future__ import annotations

import base64

import pytest
from django.urls import reverse

from comptoir.gateway.inbound import ingest
from comptoir.mail.display import safe_email_html
from tests.conftest import png_bytes

pytestmark = pytest.mark.django_db

HOSTILE_HTML = (
    '<p onclick="steal()">Bonjour <b>équipe</b></p>'
    "<script>alert(1)</script><style>p{display:none}</style>"
    '<img src="cid:shot@mail.example.net" alt="capture">'
    '<img src="https://tracker.example.net/pixel.gif">'
    '<a href="javascript:alert(1)">clic</a> <a href="https://example.org/doc">doc</a>'
    '<svg onload="alert(1)"><circle r="1"/></svg><iframe src="https://evil.example"></iframe>'
    '<form action="https://evil.example"><input name="password"></form>'
)


def html_email_with_inline_image() -> bytes:
    image = base64.encodebytes(png_bytes()).decode().replace("\n", "\r\n")
    return (
        "From: Alice Martin <alice@example.org>\r\nTo: support@comptoir.localhost\r\n"
        "Subject: Formatted\r\nMessage-ID: <formatted@mail.example.net>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/related; boundary="rel"\r\n\r\n'
        "--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"{HOSTILE_HTML}\r\n"
        "--rel\r\nContent-Type: image/png\r\nContent-ID: <shot@mail.example.net>\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{image}--rel--\r\n"
    ).encode()


def test_the_sanitiser_keeps_formatting_and_drops_everything_active():
    html = safe_email_html(HOSTILE_HTML, lambda cid: "/inline/1" if cid == "shot@mail.example.net" else None)

    assert "<b>équipe</b>" in html
    assert '<img src="/inline/1" alt="capture">' in html
    assert '<a href="https://example.org/doc" rel="noopener noreferrer nofollow">doc</a>' in html
    for active in ("onclick", "<script", "alert(1)", "<style", "tracker.example.net", "javascript:", "<svg", "onload",
                   "<iframe", "<form", "<input"):  # fmt: skip
        assert active not in html, active


def test_the_page_shows_the_safe_version_and_serves_the_inline_image(client, agent):
    row = ingest(html_email_with_inline_image(), source="test")
    client.force_login(agent)

    page = client.get(reverse("agent_inbound", args=[row.pk]))

    assert page.status_code == 200
    content = page.content.decode()
    part_url = reverse("agent_inbound_part", args=[row.pk, 0])
    assert f'<img src="{part_url}" alt="capture">' in content
    assert "<script>alert(1)</script>" not in content
    assert "tracker.example.net" not in content
    image = client.get(part_url)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("attachment")
    assert image["X-Content-Type-Options"] == "nosniff"
    assert image.content == png_bytes()


def test_a_part_that_is_not_really_an_image_is_only_a_download(client, agent):
    raw = (
        b"From: Bob <bob@example.net>\r\nTo: support@comptoir.localhost\r\nSubject: Fake\r\n"
        b"Message-ID: <fake-image@example.net>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee file.\r\n"
        b'--b\r\nContent-Type: image/png; name="x.png"\r\nContent-Disposition: attachment; filename="x.png"\r\n\r\n'
        b"<html><script>alert(1)</script></html>\r\n--b--\r\n"
    )
    row = ingest(raw, source="test")
    client.force_login(agent)

    response = client.get(reverse("agent_inbound_part", args=[row.pk, 0]))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert client.get(reverse("agent_inbound_part", args=[row.pk, 5])).status_code == 404


def test_requesters_cannot_open_an_email_or_its_parts(client, requester):
    row = ingest(html_email_with_inline_image(), source="test")
    client.force_login(requester)

    for name, args in (("agent_inbound", [row.pk]), ("agent_inbound_part", [row.pk, 0])):
        assert client.get(reverse(name, args=args)).status_code == 403
