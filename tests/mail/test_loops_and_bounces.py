"""Robots writing to us: out-of-office replies, auto-reply storms, loop caps and bounces.

Everything goes through ingest() on raw bytes built here, or taken from the
flanker corpus of real bounces, and the outbound queue.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.gateway.inbound import ingest
from comptoir.mail.addressing import reply_address
from comptoir.mail.models import (
    EmailSuppression,
    InboundEmail,
    InboundStatus,
    OutboundEmail,
    OutboundKind,
    OutboundStatus,
)
from comptoir.tickets.models import AuthorRole, Channel, Status, Survey, Ticket
from comptoir.tickets.services import ticket_set_status, ticket_take, ticket_update_by_agent
from tests.corpus import CORPUS
from tests.mail.test_ingest import raw_message
from tests.mail.test_reply_by_email import deliver

pytestmark = pytest.mark.django_db

ALICE = "Alice Martin <alice@example.org>"
BOUNCES = CORPUS / "flanker" / "tests" / "fixtures" / "messages" / "bounce"

# The ways robots mark their answers (RFC 3834, and what Exchange and others do instead).
AUTO_REPLY_MARKERS = [
    "Auto-Submitted: auto-replied",
    "X-Autoreply: yes",
    "Precedence: auto_reply",
    "X-Auto-Response-Suppress: All",
]


def out_of_office(message_id: str, marker: str) -> bytes:
    """Alice's autoresponder answering the e-mail we sent."""
    return raw_message(
        sender=ALICE,
        subject="Automatic reply: Export fails",
        body=b"I am out of the office until Monday.\r\n",
        message_id="<ooo-1@mail.example.org>",
        headers=[marker, f"In-Reply-To: <{message_id}>", f"References: <{message_id}>"],
    )


@pytest.fixture
def solved_ticket(make_ticket, agent, mailoutbox) -> tuple[Ticket, str]:
    """Alice's ticket, assigned and solved, with the "solved" e-mail really sent; and its Message-ID."""
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=agent, body="Fixed in 2.3.", status=Status.SOLVED)
    message_id = deliver(OutboundKind.TICKET_SOLVED, mailoutbox)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    return ticket, message_id


# --- Out-of-office replies ---------------------------------------------------------------


@pytest.mark.parametrize("marker", AUTO_REPLY_MARKERS)
def test_it_records_an_out_of_office_on_a_solved_ticket_without_reopening_it_or_answering(solved_ticket, marker):
    ticket, message_id = solved_ticket
    emails_before = OutboundEmail.objects.count()

    row = ingest(out_of_office(message_id, marker), source="test")

    assert (row.status, row.ticket) == (InboundStatus.PROCESSED, ticket)
    recorded = ticket.messages.last()
    assert (recorded.inbound_email, recorded.author_role) == (row, AuthorRole.REQUESTER)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    # Not even the assignee is told: a robot's answer is no reason to look.
    assert OutboundEmail.objects.count() == emails_before
    assert Survey.objects.get(ticket=ticket).withdrawn_at is None


@pytest.mark.parametrize("marker", AUTO_REPLY_MARKERS)
def test_it_quarantines_an_out_of_office_to_a_closed_ticket_and_opens_no_follow_up(solved_ticket, agent, marker):
    ticket, message_id = solved_ticket
    ticket_set_status(ticket, Status.CLOSED, actor=agent)
    emails_before = OutboundEmail.objects.count()

    row = ingest(out_of_office(message_id, marker), source="test")

    assert (row.status, row.candidate_ticket, row.ticket) == (InboundStatus.QUARANTINED, ticket, None)
    assert Ticket.objects.count() == 1
    assert not Ticket.objects.filter(follow_up_of=ticket).exists()
    assert ticket.messages.count() == 2
    assert OutboundEmail.objects.count() == emails_before


# Robots writing new tickets in the storm, and its size: each robot with each marker three times (7 and 4
# are coprime, so every pair comes up), which takes every robot and the ticket past the hourly caps on
# automatic e-mails (asserted below): an answer the detection missed would not hide behind a cap. A
# larger storm checks nothing more, at some 0.1 s an e-mail (it was 500, most of the suite's slowest test).
ROBOTS = 7
STORM = ROBOTS * len(AUTO_REPLY_MARKERS) * 3


def test_it_answers_none_of_an_auto_reply_storm_and_keeps_every_message(make_ticket, agent, settings):
    assert STORM // ROBOTS > settings.COMPTOIR_AUTO_EMAILS_PER_RECIPIENT_PER_HOUR
    assert STORM > settings.COMPTOIR_AUTO_EMAILS_PER_TICKET_PER_HOUR
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=agent, body="Looking into it.", status=Status.PENDING)
    emails_before = OutboundEmail.objects.count()
    tickets_before = Ticket.objects.count()
    storm = []
    for n in range(STORM):
        marker = AUTO_REPLY_MARKERS[n % len(AUTO_REPLY_MARKERS)]
        storm.append(
            raw_message(
                sender=f"Robot {n % ROBOTS} <robot{n % ROBOTS}@example.net>",
                subject="Auto: thank you for your message",
                message_id=f"<storm-new-{n}@robots.example.net>",
                headers=[marker],
            )
        )
        storm.append(
            raw_message(
                sender=ALICE,
                subject=f"Automatic reply: [#{ticket.reference}] Export fails",
                body=b"I am out of the office.\r\n",
                message_id=f"<storm-reply-{n}@mail.example.org>",
                headers=[marker, f"Delivered-To: {reply_address(ticket.reference)}"],
            )
        )

    rows = [ingest(raw, source="test") for raw in storm]

    assert OutboundEmail.objects.count() == emails_before
    assert InboundEmail.objects.count() == 2 * STORM
    assert {row.status for row in rows} == {InboundStatus.PROCESSED}
    assert ticket.messages.filter(channel=Channel.EMAIL).count() == STORM
    assert Ticket.objects.count() == tickets_before + STORM
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


# --- Loop caps ------------------------------------------------------------------------------


def new_ticket_email(n: int, sender: str = "Bob Stranger <bob@example.net>") -> bytes:
    return raw_message(sender=sender, subject=f"Problem {n}", message_id=f"<problem-{n}@mail.example.net>")


def test_it_stops_confirming_new_tickets_to_one_address_after_the_hourly_cap(settings):
    settings.COMPTOIR_AUTO_EMAILS_PER_RECIPIENT_PER_HOUR = 3

    for n in range(5):
        ingest(new_ticket_email(n), source="test")

    assert Ticket.objects.count() == 5
    confirmations = OutboundEmail.objects.filter(kind=OutboundKind.TICKET_CREATED, to_address="bob@example.net")
    assert [email.status for email in confirmations.order_by("pk")] == [OutboundStatus.QUEUED] * 3 + [
        OutboundStatus.SUPPRESSED
    ] * 2
    for email in confirmations.filter(status=OutboundStatus.SUPPRESSED):
        assert "loop guard" in email.last_error
        assert "bob@example.net" in email.last_error
    # Someone else still gets their confirmation.
    ingest(new_ticket_email(99, sender="carol@example.net"), source="test")
    assert OutboundEmail.objects.get(to_address="carol@example.net").status == OutboundStatus.QUEUED


def test_it_still_sends_an_agent_reply_once_the_automatic_cap_is_reached(settings, agent):
    # The caps hold back what Comptoir writes on its own, never what a person wrote.
    settings.COMPTOIR_AUTO_EMAILS_PER_RECIPIENT_PER_HOUR = 1
    ingest(new_ticket_email(1), source="test")
    row = ingest(new_ticket_email(2), source="test")
    assert OutboundEmail.objects.get(ticket=row.ticket).status == OutboundStatus.SUPPRESSED

    ticket_update_by_agent(row.ticket, agent=agent, body="Which printer?")

    reply = OutboundEmail.objects.get(kind=OutboundKind.AGENT_REPLY)
    assert (reply.status, reply.to_address, reply.last_error) == (OutboundStatus.QUEUED, "bob@example.net", "")


def test_it_stops_automatic_emails_about_one_ticket_after_the_hourly_cap(settings, agent):
    settings.COMPTOIR_AUTO_EMAILS_PER_RECIPIENT_PER_HOUR = 100
    settings.COMPTOIR_AUTO_EMAILS_PER_TICKET_PER_HOUR = 3
    ticket = ingest(new_ticket_email(1), source="test").ticket
    ticket_take(ticket, agent=agent)

    for n in range(4):
        raw = raw_message(
            subject="Re: Problem 1",
            body=f"More details, part {n}.\r\n".encode(),
            message_id=f"<more-{n}@mail.example.net>",
        ).replace(b"To: support@comptoir.localhost", f"To: {reply_address(ticket.reference)}".encode())
        assert ingest(raw, source="test").ticket == ticket

    assert ticket.messages.count() == 5
    emails = list(OutboundEmail.objects.filter(ticket=ticket).order_by("pk").values_list("kind", "status"))
    assert emails == [
        (OutboundKind.TICKET_CREATED, OutboundStatus.QUEUED),
        (OutboundKind.REQUESTER_REPLIED, OutboundStatus.QUEUED),
        (OutboundKind.REQUESTER_REPLIED, OutboundStatus.QUEUED),
        (OutboundKind.REQUESTER_REPLIED, OutboundStatus.SUPPRESSED),
        (OutboundKind.REQUESTER_REPLIED, OutboundStatus.SUPPRESSED),
    ]
    for email in OutboundEmail.objects.filter(status=OutboundStatus.SUPPRESSED):
        assert "loop guard" in email.last_error
        assert "ticket" in email.last_error


def test_an_agent_hears_of_every_ticket_however_many_are_answered_in_an_hour(settings, agent):
    """Notices to agents cannot loop (an agent's e-mail answer is quarantined): no per-recipient cap."""
    settings.COMPTOIR_AUTO_EMAILS_PER_RECIPIENT_PER_HOUR = 3
    tickets = [
        ingest(new_ticket_email(n, sender=f"Client {n} <client{n}@example.net>"), source="test").ticket
        for n in range(6)
    ]
    for n, ticket in enumerate(tickets):
        ticket_take(ticket, agent=agent)
        raw = raw_message(
            sender=f"Client {n} <client{n}@example.net>",
            subject=f"Re: Problem {n}",
            message_id=f"<answer-{n}@mail.example.net>",
        ).replace(b"To: support@comptoir.localhost", f"To: {reply_address(ticket.reference)}".encode())
        ingest(raw, source="test")

    notices = OutboundEmail.objects.filter(kind=OutboundKind.REQUESTER_REPLIED, to_address=agent.email)
    assert [email.status for email in notices] == [OutboundStatus.QUEUED] * 6


# --- Bounces ----------------------------------------------------------------------------------


def delivery_report(
    *,
    returned_message_id: str,
    recipient: str = "alice@example.org",
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 user unknown",
    report_id: str = "<dsn-1@mx.example.org>",
) -> bytes:
    """An RFC 3464 delivery status notification, as Postfix writes it, returning our e-mail's headers."""
    boundary = "dsn-boundary-4d2f"
    lines = [
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>",
        "To: support@comptoir.localhost",
        "Subject: Undelivered Mail Returned to Sender",
        f"Message-ID: {report_id}",
        "Date: Tue, 03 Jun 2025 10:05:00 +0200",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        "This is a MIME-encapsulated message.",
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "This is the mail system at host mx.example.org.",
        "",
        "I'm sorry to have to inform you that your message could not",
        "be delivered to one or more recipients.",
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.example.org",
        "Arrival-Date: Tue,  3 Jun 2025 10:04:58 +0200 (CEST)",
        "",
        f"Final-Recipient: rfc822; {recipient}",
        f"Original-Recipient: rfc822;{recipient}",
        f"Action: {action}",
        f"Status: {status}",
        "Remote-MTA: dns; mail.example.org",
        f"Diagnostic-Code: {diagnostic}",
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        f"Message-ID: <{returned_message_id}>",
        "From: Comptoir <support@comptoir.localhost>",
        f"To: {recipient}",
        "Subject: Re: Export fails",
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode("ascii")


@pytest.fixture
def sent_reply(make_ticket, agent, mailoutbox) -> tuple[Ticket, str]:
    """Alice's ticket, pending after an agent reply we really sent; and that e-mail's Message-ID."""
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Which browser do you use?", status=Status.PENDING)
    return ticket, deliver(OutboundKind.AGENT_REPLY, mailoutbox)


def agent_ticket_page(client, agent, ticket: Ticket) -> str:
    client.force_login(agent)
    with translation.override("en"):
        address = reverse("agent_ticket", args=[ticket.reference])
    response = client.get(address)
    assert response.status_code == 200
    return response.content.decode()


def test_it_records_a_bounce_on_the_ticket_and_stops_mailing_the_address(sent_reply, agent, client):
    ticket, message_id = sent_reply

    row = ingest(delivery_report(returned_message_id=message_id), source="test")

    assert (row.status, row.ticket, row.matched_by) == (InboundStatus.PROCESSED, ticket, "bounce")
    bounced = OutboundEmail.objects.get(message_id=message_id)
    assert bounced.status == OutboundStatus.BOUNCED
    assert "550 5.1.1 user unknown" in bounced.last_error
    suppression = EmailSuppression.objects.get()
    assert suppression.email == "alice@example.org"
    note = ticket.messages.last()
    assert (note.author_role, note.author, note.is_public, note.inbound_email) == (AuthorRole.SYSTEM, None, False, row)
    assert "alice@example.org" in note.body
    assert "550 5.1.1 user unknown" in note.body
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert Ticket.objects.count() == 1

    # The next reply is held back, and the agents can see why.
    ticket_update_by_agent(ticket, agent=agent, body="Are you still there?")
    held = OutboundEmail.objects.filter(kind=OutboundKind.AGENT_REPLY).latest("pk")
    assert held.status == OutboundStatus.SUPPRESSED
    assert "alice@example.org bounced" in held.last_error
    page = agent_ticket_page(client, agent, ticket)
    assert "E-mails not delivered" in page
    problems = page.split("E-mails not delivered", 1)[1].split("</ul>", 1)[0]
    assert "alice@example.org" in problems
    assert "Not sent" in problems
    assert "Bounced" in problems


def test_it_notes_a_delayed_delivery_without_stopping_mail(sent_reply):
    ticket, message_id = sent_reply
    raw = delivery_report(
        returned_message_id=message_id,
        action="delayed",
        status="4.4.1",
        diagnostic="smtp; 421 4.4.1 connection timed out",
    )

    row = ingest(raw, source="test")

    assert (row.status, row.ticket) == (InboundStatus.PROCESSED, ticket)
    note = ticket.messages.last()
    assert (note.author_role, note.is_public, note.inbound_email) == (AuthorRole.SYSTEM, False, row)
    assert "alice@example.org" in note.body
    assert "delayed" in note.body
    assert not EmailSuppression.objects.exists()
    assert OutboundEmail.objects.get(message_id=message_id).status == OutboundStatus.SENT
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_it_quarantines_a_bounce_about_an_email_we_never_sent(sent_reply):
    ticket, _ = sent_reply
    messages_before = ticket.messages.count()
    raw = delivery_report(returned_message_id="CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com")

    row = ingest(raw, source="test")

    assert (row.status, row.ticket, row.candidate_ticket) == (InboundStatus.QUARANTINED, None, None)
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == messages_before
    assert not EmailSuppression.objects.exists()
    assert not OutboundEmail.objects.filter(status=OutboundStatus.BOUNCED).exists()


def test_it_matches_a_plain_text_bounce_from_a_mailer_daemon_by_our_quoted_message_id(sent_reply):
    ticket, message_id = sent_reply
    body = (
        "This is an automatically generated Delivery Status Notification.\r\n\r\n"
        "Delivery to the following recipient failed permanently:\r\n\r\n"
        "     alice@example.org\r\n\r\n"
        "----- Original message -----\r\n\r\n"
        f"Message-ID: <{message_id}>\r\n"
        "From: Comptoir <support@comptoir.localhost>\r\n"
        "Subject: Re: Export fails\r\n"
    ).encode()
    raw = raw_message(
        sender="Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
        subject="Delivery Status Notification (Failure)",
        body=body,
        message_id="<bounce-1@google.com>",
    )

    row = ingest(raw, source="test")

    assert (row.status, row.ticket) == (InboundStatus.PROCESSED, ticket)
    assert OutboundEmail.objects.get(message_id=message_id).status == OutboundStatus.BOUNCED
    assert EmailSuppression.objects.get().email == "alice@example.org"
    note = ticket.messages.last()
    assert (note.author_role, note.is_public) == (AuthorRole.SYSTEM, False)
    assert "alice@example.org" in note.body
    assert Ticket.objects.count() == 1


def test_it_suppresses_only_the_address_the_bounced_email_was_sent_to(sent_reply, agent, mailoutbox):
    # Bounces are not authenticated. Anyone who received one of our e-mails (a
    # CC, say) knows its Message-ID: a report naming another Final-Recipient
    # must not stop mail to that other person.
    ticket, _ = sent_reply
    ticket.ccs.create(email="carol@example.net")
    ticket_update_by_agent(ticket, agent=agent, body="Copying Carol.")
    carols = deliver(OutboundKind.AGENT_REPLY_CC, mailoutbox)

    ingest(delivery_report(returned_message_id=carols, recipient="alice@example.org"), source="test")

    assert not EmailSuppression.objects.filter(email="alice@example.org").exists(), (
        "a report about the e-mail sent to carol@example.net suppressed alice@example.org: "
        "bounces.find_bounce takes the report's Final-Recipient without checking it against the e-mail's to_address"
    )


@pytest.mark.corpus  # real bounces from the flanker project; tests/mail/test_hostile_messages.py has generated ones
@pytest.mark.parametrize(
    "name",
    ["mailbox-full.eml", "office365.eml", "zed.eml", "delayed.eml", "gmail-invalid-address.eml", "broken-mime.eml"],
)
def test_it_never_opens_a_ticket_for_a_real_bounce_about_mail_we_did_not_send(name):
    raw = (BOUNCES / name).read_bytes()

    row = ingest(raw, source="test")

    assert not Ticket.objects.exists(), f"{name} became ticket #{row.ticket.reference if row.ticket else '?'}"
    assert row.status == InboundStatus.QUARANTINED
    assert bytes(InboundEmail.objects.get(pk=row.pk).raw) == raw
    assert not OutboundEmail.objects.exists()
