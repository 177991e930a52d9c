"""Files through the API: sent with the message, or uploaded before it; checked as on the web; downloaded through
the access check.

Issue 18: "messages (public replies and internal notes, with attachments
uploaded in the same request or beforehand), attachments (download through the
access check)".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from comptoir.api.models import Upload
from comptoir.api.uploads import uploads_purge
from comptoir.mail.models import OutboundEmail
from comptoir.tickets.models import Attachment, Message, Ticket
from comptoir.tickets.services import ticket_update_by_agent
from tests.api.conftest import People, bearer, token_for
from tests.conftest import png_attachment, png_bytes, png_upload

pytestmark = pytest.mark.django_db


def send(client: Client, path: str, token: str, data: dict[str, Any], **headers: str) -> Any:
    """A multipart/form-data POST, as curl -F sends one."""
    return client.post(path, data, **bearer(token), **headers)


def upload(client: Client, token: str, file: SimpleUploadedFile | None = None) -> Any:
    return send(client, "/api/v1/uploads/", token, {"file": file or png_upload()})


def messages_path(ticket: Ticket) -> str:
    return f"/api/v1/tickets/{ticket.reference}/messages/"


def errors_of(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    found: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["pointer"].split("/")[1], []).append(error["detail"])
    return found


# --- In the same request ------------------------------------------------------------------------


def test_a_requester_s_reply_carries_the_files_sent_with_it(client, people: People):
    token = token_for(people.requester_a)
    log = SimpleUploadedFile("app.log", b"ERROR export failed\n", content_type="text/plain")

    response = send(
        client, messages_path(people.ticket_a), token, {"body": "Here it is.", "files": [png_upload(), log]}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["public"] is True
    assert [(a["filename"], a["content_type"]) for a in body["attachments"]] == [
        ("screenshot.png", "image/png"),
        ("app.log", "text/plain"),
    ]
    message = Message.objects.get(pk=body["id"])
    assert (message.channel, message.author_id) == ("api", people.requester_a.pk)
    stored = message.attachments.order_by("id").first()
    assert stored is not None and stored.file.read() == png_bytes()
    url = body["attachments"][0]["url"]
    assert url == f"http://testserver/api/v1/tickets/{people.ticket_a.reference}/attachments/{stored.pk}/"


def test_a_form_without_public_is_a_public_reply_not_a_note(client, people: People):
    # DRF reads a boolean left out of a form as false (an unticked checkbox): here it keeps its default.
    response = send(client, messages_path(people.ticket_a), token_for(people.agent), {"body": "Fixed in 4.2."})
    assert response.status_code == 201, response.content
    assert response.json()["public"] is True
    assert Message.objects.get(pk=response.json()["id"]).is_public is True


def test_an_agent_opens_a_ticket_with_a_file_in_one_request(client, people: People):
    response = send(
        client,
        "/api/v1/tickets/",
        token_for(people.agent),
        {
            "subject": "Printer jam",
            "body": "See the photo.",
            "requester_email": "carla@example.org",
            "files": png_upload(),
        },
    )

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=Ticket.pk_from_reference(response.json()["reference"]))
    assert [a.filename for a in Attachment.objects.filter(ticket=ticket)] == ["screenshot.png"]
    # "confirm" left out of the form: the customer is told, as in JSON.
    assert OutboundEmail.objects.filter(ticket=ticket, to_address="carla@example.org").exists()


def test_a_file_over_the_limit_is_refused_naming_the_limit(client, people: People, settings):
    settings.COMPTOIR_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("recording.mp4", b"\x00" * (1024 * 1024 + 1), content_type="video/mp4")
    messages = Message.objects.count()

    response = send(
        client, messages_path(people.ticket_a), token_for(people.requester_a), {"body": "Video", "files": big}
    )

    assert errors_of(response) == {"files": ["“recording.mp4” is 1\u00a0MB; files can be at most 1\u00a0MB each."]}
    assert Message.objects.count() == messages


def test_a_file_of_a_type_not_accepted_is_refused(client, people: People):
    program = SimpleUploadedFile("setup.exe", b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="application/x-msdos")
    response = send(client, messages_path(people.ticket_a), token_for(people.agent), {"body": "x", "files": program})
    assert "is not a file type we accept" in errors_of(response)["files"][0]


def test_more_files_than_the_web_allows_are_refused(client, people: People, settings):
    settings.COMPTOIR_ATTACHMENT_MAX_FILES = 2
    files = [png_upload(f"s{n}.png") for n in range(3)]
    response = send(client, messages_path(people.ticket_a), token_for(people.agent), {"body": "x", "files": files})
    assert errors_of(response) == {"files": ["You attached 3 files; at most 2 files can be attached."]}


# --- Uploaded beforehand ------------------------------------------------------------------------


def test_a_file_uploaded_before_is_attached_once_by_its_id(
    api, client, people: People, django_capture_on_commit_callbacks
):
    token = token_for(people.requester_a)
    uploaded = upload(client, token)
    assert uploaded.status_code == 201, uploaded.content
    sent = uploaded.json()
    assert (sent["filename"], sent["content_type"], sent["size"]) == ("screenshot.png", "image/png", len(png_bytes()))
    stored_name = Upload.objects.get(key=sent["id"]).file.name
    assert default_storage.exists(stored_name)

    with django_capture_on_commit_callbacks(execute=True):
        reply = api("post", messages_path(people.ticket_a), token, {"body": "Screenshot", "attachments": [sent["id"]]})

    assert reply.status_code == 201, reply.content
    attachment = Attachment.objects.get(pk=reply.json()["attachments"][0]["id"])
    assert attachment.file.read() == png_bytes()
    # Used: the upload and its file are gone, and the id names nothing any more.
    assert not Upload.objects.exists()
    assert not default_storage.exists(stored_name)
    again = api("post", messages_path(people.ticket_a), token, {"body": "Again", "attachments": [sent["id"]]})
    assert errors_of(again) == {
        "attachments": [f"“{sent['id']}” is no upload of yours that is waiting: upload the file again."]
    }


def test_an_upload_is_its_uploader_s_only(api, client, people: People):
    mine = upload(client, token_for(people.requester_a)).json()["id"]
    messages = Message.objects.count()

    theirs = api(
        "post", messages_path(people.ticket_b), token_for(people.requester_b), {"body": "x", "attachments": [mine]}
    )
    agent = api("post", messages_path(people.ticket_a), token_for(people.agent), {"body": "x", "attachments": [mine]})

    assert list(errors_of(theirs)) == list(errors_of(agent)) == ["attachments"]
    assert Message.objects.count() == messages
    assert Upload.objects.filter(key=mine).exists()


def test_a_refused_message_leaves_its_uploads_for_the_retry(api, client, people: People):
    token = token_for(people.requester_a)
    kept = upload(client, token).json()["id"]
    refused = api("post", messages_path(people.ticket_a), token, {"body": "x", "attachments": [kept, "upl_nothing"]})
    assert list(errors_of(refused)) == ["attachments"]
    assert Upload.objects.filter(key=kept).exists()
    assert api("post", messages_path(people.ticket_a), token, {"body": "x", "attachments": [kept]}).status_code == 201


def test_an_upload_expires_after_a_day_and_the_purge_deletes_it(api, client, people: People):
    token = token_for(people.agent)
    old = upload(client, token).json()["id"]
    fresh = upload(client, token).json()["id"]
    Upload.objects.filter(key=old).update(created_at=timezone.now() - timedelta(hours=25))
    old_file = Upload.objects.get(key=old).file.name

    late = api("post", messages_path(people.ticket_a), token, {"body": "x", "attachments": [old]})
    assert list(errors_of(late)) == ["attachments"]

    assert uploads_purge() == 1
    assert list(Upload.objects.values_list("key", flat=True)) == [fresh]
    assert not default_storage.exists(old_file)


def test_an_upload_is_checked_as_the_web_checks_a_file(client, people: People, settings):
    settings.COMPTOIR_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("recording.mp4", b"\x00" * (1024 * 1024 + 1), content_type="video/mp4")
    response = upload(client, token_for(people.agent), big)
    assert errors_of(response) == {"file": ["“recording.mp4” is 1\u00a0MB; files can be at most 1\u00a0MB each."]}
    assert not Upload.objects.exists()


def test_uploads_waiting_unsent_are_capped(client, people: People, settings):
    settings.COMPTOIR_ATTACHMENT_MAX_FILES = 1  # five waiting at most
    token = token_for(people.agent)
    assert [upload(client, token).status_code for _ in range(5)] == [201] * 5
    refused = upload(client, token)
    assert errors_of(refused) == {
        "file": ["You have 5 files uploaded and not yet sent; send them with a message first."]
    }


def test_a_retried_ticket_with_uploads_is_the_same_ticket(api, client, people: People):
    token = token_for(people.requester_a)
    key = upload(client, token).json()["id"]
    data = {"subject": "Broken", "body": "See the file.", "attachments": [key]}

    first = api("post", "/api/v1/tickets/", token, data, HTTP_IDEMPOTENCY_KEY="retry-1")
    second = api("post", "/api/v1/tickets/", token, data, HTTP_IDEMPOTENCY_KEY="retry-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["reference"] == second.json()["reference"]
    assert second["Idempotent-Replayed"] == "true"
    assert Attachment.objects.filter(ticket__subject="Broken").count() == 1


# --- Downloads ----------------------------------------------------------------------------------


@pytest.fixture
def files(people: People) -> dict[str, Attachment]:
    """A file in a public reply and one in an internal note, on ticket A."""
    public = ticket_update_by_agent(people.ticket_a, agent=people.agent, body="Here.", files=[png_attachment("a.png")])
    note = ticket_update_by_agent(
        people.ticket_a, agent=people.agent, body="Ours.", is_public=False, files=[png_attachment("n.png")]
    )
    assert public is not None and note is not None
    return {"public": public.attachments.get(), "note": note.attachments.get()}


def download_path(ticket: Ticket, attachment: Attachment) -> str:
    return f"/api/v1/tickets/{ticket.reference}/attachments/{attachment.pk}/"


def test_a_download_is_the_file_as_a_download_never_sniffed(api, people: People, files):
    response = api("get", download_path(people.ticket_a, files["public"]), token_for(people.requester_a))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="a.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_a_download_answers_whatever_the_client_accepts(api, people: People, files):
    response = api(
        "get", download_path(people.ticket_a, files["public"]), token_for(people.agent), HTTP_ACCEPT="image/*"
    )
    assert response.status_code == 200


def test_a_requester_never_downloads_a_note_s_file(api, people: People, files):
    token = token_for(people.requester_a)
    note = api("get", download_path(people.ticket_a, files["note"]), token)
    missing = api("get", f"/api/v1/tickets/{people.ticket_a.reference}/attachments/999999/", token)
    assert note.status_code == missing.status_code == 404
    assert note.json() == missing.json()


def test_a_file_is_reached_only_through_its_own_ticket(api, people: People, files):
    # Ticket B is the agent's too, but the file is ticket A's.
    response = api("get", download_path(people.ticket_b, files["public"]), token_for(people.agent))
    assert response.status_code == 404
