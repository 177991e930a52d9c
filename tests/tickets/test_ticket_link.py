from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.tickets.links import link_issue, link_redeem
from comptoir.tickets.models import Attachment, Message, Status, Ticket, TicketAccessToken
from comptoir.tickets.services import ticket_set_status
from comptoir.tickets.tokens import TOKEN_BYTES
from tests.conftest import png_attachment, png_bytes, png_upload

pytestmark = pytest.mark.django_db


def url(name: str, *args, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name, args=args)


def open_with_link(client, ticket: Ticket) -> None:
    response = client.get(reverse("ticket_link_redeem", args=[link_issue(ticket)]))
    assert response.status_code == 302


def with_png(make_ticket, **kwargs) -> Ticket:
    return make_ticket(files=[png_attachment()], **kwargs)


def test_it_stores_only_the_hash_of_a_token_of_at_least_128_bits(make_ticket):
    ticket = make_ticket()
    raw = link_issue(ticket)
    assert TOKEN_BYTES * 8 >= 128 and len(raw) >= 22
    stored = TicketAccessToken.objects.get()
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in stored.token_hash


def test_it_exchanges_the_link_for_a_session_and_drops_the_token_from_the_address(client, make_ticket):
    ticket = make_ticket(language="fr")
    raw = link_issue(ticket)
    response = client.get(reverse("ticket_link_redeem", args=[raw]))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/fr/tickets/{ticket.reference}/"
    assert raw not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Export fails" in page.content.decode()
    # Same-origin only: other sites never learn the ticket's address.
    assert page.headers["Referrer-Policy"] == "same-origin"


def test_it_opens_nothing_with_a_wrong_token(client, make_ticket):
    ticket = make_ticket()
    response = client.get(reverse("ticket_link_redeem", args=["x" * 43]))
    assert response.status_code == 404
    assert client.get(url("ticket_detail", ticket.reference)).status_code == 404


def test_it_opens_nothing_with_a_token_unused_for_longer_than_the_limit(client, make_ticket, settings):
    settings.COMPTOIR_TICKET_LINK_DAYS = 30
    ticket = make_ticket()
    raw = link_issue(ticket)
    TicketAccessToken.objects.update(last_used_at=timezone.now() - timedelta(days=31))
    assert client.get(reverse("ticket_link_redeem", args=[raw])).status_code == 404
    assert link_redeem(raw) is None


def test_it_keeps_a_token_alive_while_it_is_used(make_ticket):
    ticket = make_ticket()
    raw = link_issue(ticket)
    TicketAccessToken.objects.update(last_used_at=timezone.now() - timedelta(days=29))
    before = timezone.now()
    assert link_redeem(raw) == ticket
    # Used now: stamped during the redeem, however long it took.
    assert before <= TicketAccessToken.objects.get().last_used_at <= timezone.now()


def test_it_opens_nothing_with_the_ticket_number_alone(client, make_ticket):
    ticket = make_ticket()
    assert client.get(url("ticket_detail", ticket.reference)).status_code == 404
    assert client.post(url("ticket_reply", ticket.reference), {"body": "hi"}).status_code == 404


def test_it_answers_the_same_for_a_missing_and_a_forbidden_ticket(client, make_ticket):
    ticket = make_ticket()
    forbidden = client.get(url("ticket_detail", ticket.reference))
    missing = client.get(url("ticket_detail", ticket.reference + 500))
    assert forbidden.status_code == missing.status_code == 404


def test_it_keeps_one_tickets_session_out_of_another_ticket_and_its_files(client, make_ticket):
    mine = make_ticket(email="alice@example.org")
    theirs = with_png(make_ticket, email="bob@example.org", subject="Bob's secret")
    open_with_link(client, mine)
    attachment = Attachment.objects.get(ticket=theirs)
    assert client.get(url("ticket_detail", theirs.reference)).status_code == 404
    assert client.get(url("attachment_download", theirs.reference, attachment.pk)).status_code == 404
    # Nor through my own ticket's address.
    assert client.get(url("attachment_download", mine.reference, attachment.pk)).status_code == 404
    assert client.post(url("ticket_reply", theirs.reference), {"body": "x"}).status_code == 404
    assert Message.objects.filter(ticket=theirs).count() == 1


def test_it_serves_attachments_as_downloads_with_nosniff(client, make_ticket):
    ticket = with_png(make_ticket)
    open_with_link(client, ticket)
    attachment = Attachment.objects.get()
    response = client.get(url("attachment_download", ticket.reference, attachment.pk))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert 'filename="shot.png"' in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes()


def test_it_does_not_serve_attachments_of_internal_notes_to_the_requester(client, make_ticket):
    ticket = with_png(make_ticket)
    Message.objects.filter(ticket=ticket).update(is_public=False)
    open_with_link(client, ticket)
    attachment = Attachment.objects.get()
    assert client.get(url("attachment_download", ticket.reference, attachment.pk)).status_code == 404
    assert "The export button" not in client.get(url("ticket_detail", ticket.reference)).content.decode()


def test_it_lets_an_agent_open_any_ticket(client, make_ticket, agent):
    ticket = make_ticket()
    client.force_login(agent)
    assert client.get(url("ticket_detail", ticket.reference)).status_code == 200


def test_it_adds_the_requesters_reply_with_a_file(client, make_ticket):
    ticket = make_ticket()
    open_with_link(client, ticket)
    response = client.post(
        url("ticket_reply", ticket.reference),
        {"body": "Here is a screenshot.", "attachments": [png_upload("more.png")]},
    )
    assert response.status_code == 302
    reply = Message.objects.filter(ticket=ticket).last()
    assert reply is not None and reply.body == "Here is a screenshot."
    assert [a.filename for a in reply.attachments.all()] == ["more.png"]


def test_it_keeps_the_reply_text_when_a_file_is_refused(client, make_ticket):
    ticket = make_ticket()
    open_with_link(client, ticket)
    bad = SimpleUploadedFile("bad.bin", b"\x7fELF" + b"\x00" * 64, content_type="application/octet-stream")
    response = client.post(url("ticket_reply", ticket.reference), {"body": "My long explanation", "attachments": [bad]})
    assert response.status_code == 400
    assert "My long explanation" in response.content.decode()
    assert Message.objects.filter(ticket=ticket).count() == 1


@pytest.mark.parametrize("status", [Status.PENDING, Status.ON_HOLD, Status.SOLVED])
def test_it_reopens_a_waiting_or_solved_ticket_when_the_requester_replies(client, make_ticket, status):
    ticket = make_ticket()
    ticket_set_status(ticket, status, actor=None)
    open_with_link(client, ticket)
    client.post(url("ticket_reply", ticket.reference), {"body": "Still broken"})
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert list(ticket.events.values_list("kind", "old_value", "new_value"))[-1] == ("status", status, "open")


def test_it_opens_a_linked_follow_up_when_the_requester_replies_to_a_closed_ticket(client, make_ticket):
    ticket = make_ticket()
    ticket_set_status(ticket, Status.CLOSED, actor=None)
    open_with_link(client, ticket)
    response = client.post(url("ticket_reply", ticket.reference), {"body": "It came back"})
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert follow_up.follow_up_of == ticket
    assert follow_up.status == Status.NEW
    assert response.headers["Location"].startswith(url("ticket_detail", follow_up.reference))
    assert client.get(url("ticket_detail", follow_up.reference)).status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_it_emails_fresh_links_for_an_address_without_saying_whether_it_has_tickets(client, make_ticket, mailoutbox):
    from tests.conftest import solved_captcha

    ticket = make_ticket(email="alice@example.org")
    known = client.post(url("link_request"), {"email": "alice@example.org", "altcha": solved_captcha()})
    unknown = client.post(url("link_request"), {"email": "nobody@example.org", "altcha": solved_captcha()})
    strip = lambda r: r.content.decode().replace("alice@example.org", "X").replace("nobody@example.org", "X")  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known).split('name="csrfmiddlewaretoken"')[0] == strip(unknown).split('name="csrfmiddlewaretoken"')[0]
    for email in OutboundEmail.objects.filter(kind=OutboundKind.TICKET_LINK):
        email_deliver(email.pk)
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]
    assert f"#{ticket.reference}" in mailoutbox[0].body
    assert "http://testserver/t/" in mailoutbox[0].body


def test_it_ignores_the_host_header_in_links_sent_by_email(client, mailoutbox, settings):
    from tests.conftest import solved_captcha

    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]
    data = {"email": "a@example.org", "name": "A", "ticket_type": "question", "subject": "S", "description": "D"}
    client.post(url("ticket_new"), {**data, "altcha": solved_captcha()}, HTTP_HOST="evil.example")
    email_deliver(OutboundEmail.objects.get().pk)
    assert "evil.example" not in mailoutbox[0].body
    assert "http://testserver/t/" in mailoutbox[0].body


def test_robot_link_requests_naming_an_address_do_not_use_up_that_address_s_limit(client, settings, make_ticket):
    from tests.conftest import solved_captcha

    settings.COMPTOIR_RATE_LIMIT_LINKS_PER_EMAIL = 3
    make_ticket(email="alice@example.org")
    for _ in range(5):
        robot = client.post(url("link_request"), {"email": "alice@example.org"}, REMOTE_ADDR="203.0.113.9")
        assert robot.status_code == 200
    response = client.post(url("link_request"), {"email": "alice@example.org", "altcha": solved_captcha()})
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    assert OutboundEmail.objects.filter(kind=OutboundKind.TICKET_LINK).count() == 1


def test_valid_link_requests_still_count_against_the_address(client, settings):
    from tests.conftest import solved_captcha

    settings.COMPTOIR_RATE_LIMIT_LINKS_PER_EMAIL = 2
    statuses = [
        client.post(url("link_request"), {"email": "alice@example.org", "altcha": solved_captcha()}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_the_requester_sees_their_images_as_thumbnails_and_their_videos_playable(client, make_ticket):
    ticket = with_png(make_ticket)
    attachment = Attachment.objects.get()
    video = Attachment.objects.create(
        ticket=ticket,
        message=attachment.message,
        file=SimpleUploadedFile("screen.webm", b"\x1a\x45\xdf\xa3 not really a video", content_type="video/webm"),
        filename="screen.webm",
        content_type="video/webm",
        size=28,
    )
    open_with_link(client, ticket)

    page = client.get(url("ticket_detail", ticket.reference)).content.decode()

    image_url = url("attachment_download", ticket.reference, attachment.pk)
    video_url = url("attachment_download", ticket.reference, video.pk)
    thumbnail = f'<a class="thumb" href="{image_url}" download tabindex="-1" aria-hidden="true"><img src="{image_url}"'
    assert thumbnail in page
    assert f'<a href="{image_url}" download><span class="file-icon">' in page  # the file's own link, for everyone
    assert f'<video controls preload="metadata" src="{video_url}" aria-label="screen.webm"></video>' in page
    # The paper clip is an inline SVG, not a glyph a machine without an emoji font shows as a box.
    assert '<span class="file-icon"><svg' in page
