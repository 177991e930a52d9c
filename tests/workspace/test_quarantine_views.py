"""The e-mail quarantine in the workspace: who sees it, what it shows, what agents do with a message."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from comptoir.gateway.inbound import ingest
from comptoir.mail.addressing import reply_address
from comptoir.mail.models import InboundEmail, InboundStatus
from comptoir.tickets.models import AuthorRole, Channel, Ticket, TicketCC
from tests.mail.test_ingest import raw_message

pytestmark = pytest.mark.django_db

MALLORY = "Mallory <mallory@example.com>"
QUARANTINE_URLS = [
    ("get", "agent_quarantine", False),
    ("get", "agent_inbound", True),
    ("get", "agent_inbound_raw", True),
    ("post", "agent_quarantine_action", True),
]


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def stranger_reply(
    ticket: Ticket,
    *,
    n: int = 1,
    sender: str = MALLORY,
    subject: str = "Re: Export fails",
    body: bytes = b"I have the same problem with the export.\r\n",
    headers: tuple[str, ...] = (),
) -> bytes:
    """A message to the ticket's reply address from someone who is not part of it."""
    raw = raw_message(
        sender=sender, subject=subject, body=body, message_id=f"<stranger-{n}@mail.example.com>", headers=headers
    )
    return raw.replace(b"To: support@comptoir.localhost", f"To: {reply_address(ticket.reference)}".encode(), 1)


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def quarantined(make_ticket) -> InboundEmail:
    """Mallory's answer to Alice's ticket, kept aside with that ticket as its candidate."""
    ticket = make_ticket()
    row = ingest(stranger_reply(ticket), source="test")
    assert (row.status, row.candidate_ticket) == (InboundStatus.QUARANTINED, ticket)
    return row


def address_for(name: str, row: InboundEmail, per_message: bool) -> str:
    return url(name, row.pk) if per_message else url(name)


# --- Who gets in ----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "name", "per_message"), QUARANTINE_URLS, ids=[u[1] for u in QUARANTINE_URLS])
def test_it_sends_a_visitor_to_log_in(client, quarantined, method, name, per_message):
    response = getattr(client, method)(address_for(name, quarantined, per_message), {"action": "delete"})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/?next=")
    assert InboundEmail.objects.get(pk=quarantined.pk).status == InboundStatus.QUARANTINED


@pytest.mark.parametrize(("method", "name", "per_message"), QUARANTINE_URLS, ids=[u[1] for u in QUARANTINE_URLS])
def test_it_refuses_a_logged_in_requester(client, quarantined, method, name, per_message):
    client.force_login(quarantined.candidate_ticket.requester)

    response = getattr(client, method)(address_for(name, quarantined, per_message), {"action": "delete"})

    assert response.status_code == 403
    assert b"I have the same problem" not in response.content
    assert InboundEmail.objects.get(pk=quarantined.pk).status == InboundStatus.QUARANTINED


def test_it_answers_405_to_a_get_on_the_action_address(agent_client, quarantined):
    response = agent_client.get(url("agent_quarantine_action", quarantined.pk), {"action": "delete"})

    assert response.status_code == 405
    assert InboundEmail.objects.get(pk=quarantined.pk).status == InboundStatus.QUARANTINED


def test_it_refuses_an_unknown_action(agent_client, quarantined):
    response = agent_client.post(url("agent_quarantine_action", quarantined.pk), {"action": "release-all"})

    assert response.status_code == 400
    assert InboundEmail.objects.get(pk=quarantined.pk).status == InboundStatus.QUARANTINED


# --- The list ----------------------------------------------------------------------------------


def test_it_lists_quarantined_messages_with_their_count(agent_client, make_ticket):
    ticket = make_ticket()
    ingest(stranger_reply(ticket, n=1, subject="Re: Export fails"), source="test")
    ingest(stranger_reply(ticket, n=2, subject="Re: Export still fails", sender="eve@example.net"), source="test")
    # Processed mail is not in quarantine.
    ingest(raw_message(subject="Printer on fire"), source="test")

    page = agent_client.get(url("agent_quarantine")).content.decode()

    assert 'E-mail quarantine <span class="muted">(2)</span>' in page
    assert page.count(f'href="{url("agent_ticket", ticket.reference)}"') == 2
    for subject, sender in [("Re: Export fails", "mallory@example.com"), ("Re: Export still fails", "eve@example.net")]:
        assert subject in page
        assert sender in page
    assert "not a participant" in page
    assert "Printer on fire" not in page


def test_it_says_so_when_nothing_is_in_quarantine(agent_client):
    page = agent_client.get(url("agent_quarantine")).content.decode()

    assert "(0)" in page
    assert "Nothing in quarantine." in page


def test_it_shows_the_quarantine_count_in_the_workspace_navigation(agent_client, make_ticket):
    ticket = make_ticket()
    for n in range(3):
        ingest(stranger_reply(ticket, n=n), source="test")

    page = agent_client.get(url("agent_tickets")).content.decode()

    assert f'<a href="{url("agent_quarantine")}"><span>Quarantine</span> <span class="count">3</span></a>' in page


def test_it_lists_one_row_and_25_rows_with_the_same_queries(agent_client, make_ticket):
    def quarantine_one(n: int) -> None:
        ticket = make_ticket(email=f"person{n}@example.org", subject=f"Problem {n}")
        ingest(stranger_reply(ticket, n=n), source="test")

    def list_page(rows: int) -> CaptureQueriesContext:
        with CaptureQueriesContext(connection) as captured:
            response = agent_client.get(url("agent_quarantine"))
        assert response.status_code == 200
        assert response.content.decode().count('<td class="subject-cell">') == rows
        return captured

    quarantine_one(0)
    one = list_page(1)
    for n in range(1, 25):
        quarantine_one(n)
    many = list_page(25)

    sql = "\n".join(query["sql"] for query in many.captured_queries)
    assert len(one) == len(many), sql
    # 1. the session, 2. the agent with their permission, given to them or a group (the header's
    # "Articles" link is for editors: comptoir/editor/backends.py), 3. the paginator's count,
    # 4. one page of rows joined to their candidate tickets (the raw bytes left out).
    assert len(many) == 4, sql
    assert '"mail_inboundemail"."raw"' not in many.captured_queries[3]["sql"]


# --- One message ---------------------------------------------------------------------------------


def test_it_shows_hostile_content_escaped(agent_client, make_ticket):
    raw = stranger_reply(
        make_ticket(),
        sender='"<script>alert(3)</script>" <evil@example.com>',
        subject="<script>alert(1)</script>",
        body=b"<img src=x onerror=alert(2)> and <a href=javascript:alert(4)>click</a>\r\n",
        headers=("Cc: <script>alert(5)</script>@example.com",),
    )
    row = ingest(raw, source="test")
    assert row.status == InboundStatus.QUARANTINED

    detail = agent_client.get(url("agent_inbound", row.pk)).content.decode()
    listing = agent_client.get(url("agent_quarantine")).content.decode()

    for page in (detail, listing):
        assert "<script>alert(" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x onerror" not in detail
    assert "&lt;img src=x onerror=alert(2)&gt;" in detail
    assert "<a href=javascript:" not in detail


def test_it_downloads_the_exact_bytes_received_as_an_attachment(agent_client, quarantined):
    response = agent_client.get(url("agent_inbound_raw", quarantined.pk))

    assert response.status_code == 200
    assert response.content == bytes(InboundEmail.objects.get(pk=quarantined.pk).raw)
    assert response.content == stranger_reply(quarantined.candidate_ticket)
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "application/octet-stream"


def test_it_shows_a_quarantined_message_with_its_reason_and_actions(agent_client, quarantined):
    page = agent_client.get(url("agent_inbound", quarantined.pk)).content.decode()

    assert "In quarantine" in page
    assert "not a participant" in page
    assert "I have the same problem with the export." in page
    assert f"Add to ticket #{quarantined.candidate_ticket.reference} and copy the sender" in page
    for action in ("accept", "new_ticket", "delete"):
        assert f'name="action" value="{action}"' in page


# --- What agents do with it -------------------------------------------------------------------------


def test_it_adds_an_accepted_message_to_its_ticket_and_copies_the_sender(agent_client, quarantined):
    ticket = quarantined.candidate_ticket

    response = agent_client.post(url("agent_quarantine_action", quarantined.pk), {"action": "accept"})

    assert response.status_code == 302
    assert response.headers["Location"] == url("agent_ticket", ticket.reference)
    row = InboundEmail.objects.get(pk=quarantined.pk)
    assert (row.status, row.ticket) == (InboundStatus.PROCESSED, ticket)
    added = ticket.messages.last()
    assert (added.author.email, added.author_role, added.channel, added.inbound_email) == (
        "mallory@example.com",
        AuthorRole.REQUESTER,
        Channel.EMAIL,
        row,
    )
    assert added.body.startswith("I have the same problem with the export.")
    assert list(TicketCC.objects.filter(ticket=ticket).values_list("email", flat=True)) == ["mallory@example.com"]
    # Copied now, the sender's next answer goes straight in.
    again = ingest(stranger_reply(ticket, n=2), source="test")
    assert (again.status, again.ticket) == (InboundStatus.PROCESSED, ticket)


def test_it_tells_the_agent_what_happened_after_accepting(agent_client, quarantined):
    # Regression: the ticket page passed its conversation as "messages", which hid the
    # messages framework from base.html: the confirmation never showed and every
    # message of the conversation was rendered as a flash ("message 1 on ticket 1").
    first = quarantined.candidate_ticket.messages.first()

    response = agent_client.post(url("agent_quarantine_action", quarantined.pk), {"action": "accept"}, follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert "The message was added to the ticket and its sender copied on it." in page
    assert f"message {first.pk} on ticket" not in page


def test_it_opens_a_new_ticket_with_the_message(agent_client, quarantined):
    candidate = quarantined.candidate_ticket

    response = agent_client.post(url("agent_quarantine_action", quarantined.pk), {"action": "new_ticket"})

    row = InboundEmail.objects.get(pk=quarantined.pk)
    new = row.ticket
    assert row.status == InboundStatus.PROCESSED
    assert new is not None and new != candidate
    assert response.headers["Location"] == url("agent_ticket", new.reference)
    assert (new.requester.email, new.channel) == ("mallory@example.com", Channel.EMAIL)
    assert new.messages.get().body.startswith("I have the same problem with the export.")
    assert candidate.messages.count() == 1
    assert not candidate.ccs.exists()


def test_it_deletes_a_message(agent_client, quarantined):
    response = agent_client.post(url("agent_quarantine_action", quarantined.pk), {"action": "delete"}, follow=True)

    assert response.redirect_chain == [(url("agent_quarantine"), 302)]
    assert "The message was deleted." in response.content.decode()
    assert not InboundEmail.objects.filter(pk=quarantined.pk).exists()
    assert Ticket.objects.get().messages.count() == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [("accept", "accept"), ("accept", "new_ticket"), ("new_ticket", "accept"), ("delete", "accept")],
)
def test_it_says_a_message_is_no_longer_in_quarantine_when_acting_twice(agent_client, quarantined, first, second):
    # Two agents on the same message: the second one's click must do nothing, and say so.
    address = url("agent_quarantine_action", quarantined.pk)
    agent_client.post(address, {"action": first})
    tickets, messages = Ticket.objects.count(), sum(t.messages.count() for t in Ticket.objects.all())

    response = agent_client.post(address, {"action": second}, follow=True)

    assert response.status_code == 200, f"{second} after {first} answered {response.status_code}"
    assert response.redirect_chain == [(url("agent_quarantine"), 302)]
    assert "This message is no longer in quarantine." in response.content.decode()
    assert (Ticket.objects.count(), sum(t.messages.count() for t in Ticket.objects.all())) == (tickets, messages)


# --- On the ticket page -----------------------------------------------------------------------------


def test_it_shows_the_people_copied_and_a_link_to_the_original_email_on_the_ticket_page(agent_client, ingest_vouched):
    raw = raw_message(headers=["Cc: Carol Jones <carol@example.net>"])
    row = ingest_vouched(raw)

    page = agent_client.get(url("agent_ticket", row.ticket.reference)).content.decode()

    copied = page.split("Copied (CC)", 1)[1].split("</ul>", 1)[0]
    assert 'href="mailto:carol@example.net"' in copied
    original = url("agent_inbound", row.pk)
    assert f'href="{original}">Original e-mail</a>' in page
    detail = agent_client.get(original)
    assert detail.status_code == 200
    assert "the printer in room 4 is on fire." in detail.content.decode()
    assert "In quarantine" not in detail.content.decode()


def test_it_shows_nobody_copied_and_no_original_link_for_a_web_ticket(agent_client, make_ticket):
    ticket = make_ticket()

    page = agent_client.get(url("agent_ticket", ticket.reference)).content.decode()

    assert "Nobody." in page.split("Copied (CC)", 1)[1]
    assert "Original e-mail" not in page
