from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from comptoir.mail.models import OutboundEmail, OutboundStatus
from comptoir.mail.outbound import email_deliver
from comptoir.portal import receipt
from comptoir.tickets.models import Attachment, Channel, Status, Ticket
from tests.conftest import png_upload, solved_captcha

pytestmark = pytest.mark.django_db


def form_url(language: str = "en") -> str:
    with translation.override(language):
        return reverse("ticket_new")


def valid_data(**overrides):
    data = {
        "email": "Alice@Example.org",
        "name": "Alice Martin",
        "ticket_type": "incident",
        "subject": "Export to CSV fails",
        "description": "I click Export and nothing happens. Expected a file. Steps: Reports > Export.",
        "altcha": solved_captcha(),
        "website": "",
    }
    data.update(overrides)
    return data


def test_it_shows_the_form_with_every_field(client):
    response = client.get(form_url())
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("email", "name", "ticket_type", "subject", "description", "attachments", "website"):
        assert f'name="{name}"' in html
    assert "<altcha-widget" in html
    assert 'enctype="multipart/form-data"' in html


def test_it_creates_a_new_ticket_and_confirms_the_reference(client, mailoutbox):
    response = client.post(form_url(), valid_data(attachments=[png_upload()]), follow=True)
    ticket = Ticket.objects.get()
    assert ticket.status == Status.NEW
    assert ticket.channel == Channel.WEB
    assert ticket.language == "en"
    assert ticket.type == "incident"
    assert ticket.requester.email == "alice@example.org"
    assert ticket.reference == ticket.pk + 1000
    assert f"#{ticket.reference}" in response.content.decode()
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.content_type) == ("screenshot.png", "image/png")
    # Queued for the worker, not sent inside the request.
    assert mailoutbox == []
    assert OutboundEmail.objects.get().status == OutboundStatus.QUEUED


def test_it_stores_the_language_of_the_page(client):
    client.post(form_url("fr"), valid_data())
    assert Ticket.objects.get().language == "fr"


def test_it_enqueues_the_confirmation_only_after_commit(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(form_url(), valid_data())
    assert len(callbacks) == 1


def test_it_sends_the_confirmation_in_the_requesters_language_with_a_link(client, mailoutbox):
    client.post(form_url("fr"), valid_data())
    email = OutboundEmail.objects.get()
    assert email_deliver(email.pk) is True
    (message,) = mailoutbox
    ticket = Ticket.objects.get()
    assert message.to == ["alice@example.org"]
    assert f"[#{ticket.reference}]" in message.subject
    assert "Nous avons bien reçu" in message.subject
    html = message.alternatives[0][0]
    assert "http://testserver/t/" in message.body and "http://testserver/t/" in html
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    email.refresh_from_db()
    assert email.status == OutboundStatus.SENT
    assert email.message_id and email.message_id in message.extra_headers["Message-ID"]


def test_it_escapes_what_the_requester_typed_in_the_html_email(client, mailoutbox):
    client.post(form_url(), valid_data(description="<script>alert(1)</script> <b>bold</b>"))
    email_deliver(OutboundEmail.objects.get().pk)
    html = mailoutbox[0].alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_it_keeps_what_was_typed_when_the_captcha_is_missing(client):
    response = client.post(form_url(), valid_data(altcha=""))
    html = response.content.decode()
    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    assert "I&#x27;m not a robot" in html or "I'm not a robot" in html
    assert 'value="Export to CSV fails"' in html
    assert "Steps: Reports &gt; Export." in html


def test_it_refuses_a_captcha_payload_used_twice(client):
    payload = solved_captcha()
    client.post(form_url(), valid_data(altcha=payload))
    client.post(form_url(), valid_data(altcha=payload, subject="Second"))
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Export to CSV fails"]


def test_it_refuses_a_forged_captcha(client):
    client.post(form_url(), valid_data(altcha="eyJjaGFsbGVuZ2UiOnt9fQ=="))
    assert Ticket.objects.count() == 0


def test_it_refuses_a_filled_honeypot(client):
    response = client.post(form_url(), valid_data(website="http://spam.example"))
    assert Ticket.objects.count() == 0
    assert "automated" in response.content.decode()


def test_it_refuses_a_file_whose_content_is_not_an_accepted_type(client):
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="image/png")
    response = client.post(form_url(), valid_data(attachments=[fake]))
    html = response.content.decode()
    assert Ticket.objects.count() == 0
    assert "“photo.png” is not a file type we accept" in html
    assert 'value="Export to CSV fails"' in html
    assert 'value="alice@example.org"' in html.lower()


def test_it_refuses_a_file_over_the_size_limit_and_names_the_limit(client, settings):
    settings.COMPTOIR_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("recording.mp4", b"\x00" * (1024 * 1024 + 1), content_type="video/mp4")
    response = client.post(form_url(), valid_data(attachments=[big]))
    html = response.content.decode()
    assert Ticket.objects.count() == 0
    assert "files can be at most 1\u00a0MB each" in html
    assert 'value="Export to CSV fails"' in html


def test_it_refuses_more_files_than_allowed(client, settings):
    settings.COMPTOIR_ATTACHMENT_MAX_FILES = 2
    files = [png_upload(f"s{i}.png") for i in range(3)]
    response = client.post(form_url(), valid_data(attachments=files))
    assert Ticket.objects.count() == 0
    assert "at most 2 files" in response.content.decode()


def test_it_accepts_text_logs_and_detects_csv(client):
    log = SimpleUploadedFile("app.log", b"2026-01-01 ERROR boom\n", content_type="application/octet-stream")
    csv = SimpleUploadedFile("data.csv", "nom;prénom\nA;B\n".encode(), content_type="text/csv")
    client.post(form_url(), valid_data(attachments=[log, csv]))
    types = dict(Attachment.objects.values_list("filename", "content_type"))
    assert types == {"app.log": "text/plain", "data.csv": "text/csv"}


def test_it_answers_429_after_too_many_tickets_from_one_address(client, settings):
    settings.COMPTOIR_RATE_LIMIT_TICKETS_PER_EMAIL = 2
    statuses = [client.post(form_url(), valid_data(subject=f"n{i}")).status_code for i in range(3)]
    assert statuses == [302, 302, 429]
    assert Ticket.objects.count() == 2


def test_it_answers_429_after_too_many_tickets_from_one_ip(client, settings):
    settings.COMPTOIR_RATE_LIMIT_TICKETS_PER_IP = 2
    responses = [client.post(form_url(), valid_data(email=f"p{i}@example.org")) for i in range(3)]
    assert [r.status_code for r in responses] == [302, 302, 429]
    assert "Too many attempts" in responses[-1].content.decode()
    assert responses[-1].headers["Retry-After"]


def test_it_does_not_show_the_sent_page_without_a_submission(client):
    response = client.get(reverse("ticket_sent"))
    assert response.status_code == 302


def test_the_sent_page_reads_a_signed_receipt_only(client, settings, monkeypatch):
    response = client.post(form_url(), valid_data(), follow=True)
    ticket = Ticket.objects.get()
    assert f"#{ticket.reference}" in response.content.decode()
    assert "alice@example.org" in response.content.decode()
    cookie = client.cookies[receipt.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == receipt.MAX_AGE_SECONDS
    # No session is made for a visitor who sends a ticket.
    assert settings.SESSION_COOKIE_NAME not in client.cookies

    # Another ticket's number, written into the cookie by hand, is not signed: no receipt.
    signed = cookie.value
    client.cookies[receipt.COOKIE] = signed.replace(str(ticket.reference), str(ticket.reference + 1), 1)
    assert client.get(reverse("ticket_sent")).status_code == 302
    # Nor is an old one.
    client.cookies[receipt.COOKIE] = signed
    assert client.get(reverse("ticket_sent")).status_code == 200
    later = time.time() + receipt.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))
    assert client.get(reverse("ticket_sent")).status_code == 302


def test_robot_posts_naming_an_address_do_not_use_up_that_address_s_limit(client, settings):
    settings.COMPTOIR_RATE_LIMIT_TICKETS_PER_EMAIL = 5
    # Five posts without a captcha, from somewhere else, naming Alice.
    for n in range(5):
        robot = client.post(form_url(), valid_data(altcha="", subject=f"r{n}"), REMOTE_ADDR="203.0.113.9")
        assert robot.status_code == 200
    response = client.post(form_url(), valid_data())
    assert response.status_code == 302
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Export to CSV fails"]


def test_robot_posts_still_count_against_their_ip_address(client, settings):
    settings.COMPTOIR_RATE_LIMIT_TICKETS_PER_IP = 2
    statuses = [client.post(form_url(), valid_data(altcha="", email=f"p{n}@example.org")).status_code for n in range(3)]
    assert statuses == [200, 200, 429]


@pytest.fixture
def own_addresses(settings, db):
    from comptoir.mail.models import Mailbox

    settings.COMPTOIR_SUPPORT_EMAIL = "support@example.com"
    settings.COMPTOIR_REPLY_DOMAIN = ""
    settings.COMPTOIR_OWN_ADDRESSES = frozenset({"help@example.com"})
    Mailbox.objects.create(name="inbox", host="imap.example.net", username="inbox@example.net", password="x")


@pytest.mark.parametrize(
    "address",
    ["Support@Example.com", "support+billing@example.com", "reply", "help@example.com", "inbox@example.net"],
)
def test_the_ticket_form_refuses_our_own_addresses(client, own_addresses, settings, address):
    from comptoir.mail.addressing import reply_address

    if address == "reply":
        settings.COMPTOIR_REPLY_DOMAIN = "reply.example.com"
        address = reply_address(1042)
        assert address.endswith("@reply.example.com")
    response = client.post(form_url(), valid_data(email=address))
    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    refusal = "This is one of our own support addresses: please enter your own e-mail address."
    assert refusal in response.content.decode()


def test_the_ticket_form_takes_other_addresses_of_our_domain(client, own_addresses):
    assert client.post(form_url(), valid_data(email="camille@example.com")).status_code == 302
