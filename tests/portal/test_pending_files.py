"""Files on a ticket form refused for another field are kept, and come back with the form sent again."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import translation

from comptoir.portal import pending
from comptoir.tickets.models import Attachment, Ticket
from tests.conftest import png_bytes, png_upload, solved_captcha

pytestmark = pytest.mark.django_db


def form_url() -> str:
    with translation.override("en"):
        return reverse("ticket_new")


def guest_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "email": "lee@example.org",
        "name": "Lee",
        "ticket_type": "incident",
        "subject": "Export fails",
        "description": "Nothing happens.",
        "altcha": solved_captcha(),
        "website": "",
    }
    data.update(overrides)
    return data


def kept_tokens(response) -> list[str]:
    return [item.token for item in response.context["pending_files"]]


def stored_pending() -> list[str]:
    if not default_storage.exists(pending.FOLDER):
        return []
    folders, _files = default_storage.listdir(pending.FOLDER)
    return [
        f"{folder}/{name}" for folder in folders for name in default_storage.listdir(f"{pending.FOLDER}/{folder}")[1]
    ]


def test_it_keeps_the_files_of_a_form_refused_for_its_subject_and_sends_them_next_time(
    client, django_capture_on_commit_callbacks
):
    refused = client.post(form_url(), guest_data(subject="", attachments=[png_upload("screen.png")]))
    assert refused.status_code == 200
    page = refused.content.decode()
    assert 'name="pending_file"' in page and "screen.png" in page
    assert "the files you chose are kept" in page
    tokens = kept_tokens(refused)
    assert len(tokens) == 1 and len(stored_pending()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(form_url(), guest_data(pending_file=tokens))
    assert sent.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.content_type) == ("screen.png", "image/png")
    assert attachment.file.read() == png_bytes()
    assert attachment.message.ticket == Ticket.objects.get()
    # Copied into the ticket: the kept copy is gone.
    assert stored_pending() == []


def test_it_keeps_nothing_when_the_robot_check_failed(client):
    refused = client.post(form_url(), guest_data(altcha="", attachments=[png_upload()]))
    assert refused.status_code == 200
    assert refused.context["pending_files"] == []
    assert stored_pending() == []


def test_it_drops_a_note_it_did_not_sign(client):
    refused = client.post(form_url(), guest_data(subject="", attachments=[png_upload()]))
    forged = kept_tokens(refused)[0][:-3] + "abc"
    sent = client.post(form_url(), guest_data(pending_file=[forged, "pending/../../settings.py"]))
    assert sent.status_code == 302
    assert not Attachment.objects.exists()


def test_it_asks_again_for_a_file_kept_too_long(client, monkeypatch):
    refused = client.post(form_url(), guest_data(subject="", attachments=[png_upload()]))
    tokens = kept_tokens(refused)
    monkeypatch.setattr(pending, "KEPT_FOR", timedelta(seconds=-1))
    again = client.post(form_url(), guest_data(pending_file=tokens))
    assert again.status_code == 200
    assert "please choose it again" in again.context["form"].errors["pending_file"][0]
    assert not Ticket.objects.exists()


def test_it_counts_kept_files_against_the_limit(client, settings):
    settings.COMPTOIR_ATTACHMENT_MAX_FILES = 2
    refused = client.post(form_url(), guest_data(subject="", attachments=[png_upload("a.png"), png_upload("b.png")]))
    again = client.post(form_url(), guest_data(pending_file=kept_tokens(refused), attachments=[png_upload("c.png")]))
    assert again.status_code == 200
    assert again.context["form"].errors["attachments"] == ["You attached 3 files; at most 2 files can be attached."]
    assert not Ticket.objects.exists()


def test_the_purge_deletes_only_files_older_than_the_time_kept(client):
    client.post(form_url(), guest_data(subject="", attachments=[png_upload()]))
    client.post(form_url(), guest_data(subject="", attachments=[png_upload()]))
    old, recent = stored_pending()
    then = time.time() - pending.KEPT_FOR.total_seconds() - 60
    os.utime(default_storage.path(f"{pending.FOLDER}/{old}"), (then, then))
    assert pending.pending_purge() == 1
    assert stored_pending() == [recent]
