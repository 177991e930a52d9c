"""A requester answers our e-mail: the reply comes in through the ingest_email command."""

from __future__ import annotations

import io
import re
import sys

import pytest
from django.core.management import call_command

from comptoir.mail.models import InboundEmail, InboundStatus, OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.tickets.models import AuthorRole, Channel, Message, Status, Survey, Ticket
from comptoir.tickets.services import ticket_take, ticket_update_by_agent
from tests.mail.test_ingest import raw_message

pytestmark = pytest.mark.django_db


def deliver(kind: str, mailoutbox) -> str:
    """Really send the queued e-mail of that kind; returns the Message-ID it left with."""
    email = OutboundEmail.objects.get(kind=kind)
    assert email_deliver(email.pk) is True
    email.refresh_from_db()
    assert mailoutbox[-1].extra_headers["Message-ID"] == f"<{email.message_id}>"
    return email.message_id


def reply_to(message_id: str, body: bytes) -> bytes:
    return raw_message(
        sender="Alice Martin <alice@example.org>",
        subject="Re: Export fails",
        body=body + b"\r\n\r\n> Earlier text we wrote.\r\n",
        message_id="<answer-1@mail.example.org>",
        headers=[f"In-Reply-To: <{message_id}>", f"References: <{message_id}>"],
    )


def ingest_from_stdin(monkeypatch, raw: bytes) -> str:
    """Run the command the mail server pipes into, with the raw bytes on standard input."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("ingest_email", stdout=out)
    return out.getvalue()


def test_it_adds_an_emailed_answer_to_the_ticket_and_tells_the_assignee(make_ticket, agent, mailoutbox, monkeypatch):
    ticket = make_ticket()
    ticket_take(ticket, agent=agent)
    ticket_update_by_agent(ticket, agent=agent, body="Which browser do you use?", status="pending")
    message_id = deliver(OutboundKind.AGENT_REPLY, mailoutbox)
    assert mailoutbox[-1].to == ["alice@example.org"]
    assert "Which browser do you use?" in mailoutbox[-1].body

    output = ingest_from_stdin(monkeypatch, reply_to(message_id, b"Firefox 128 on Windows."))

    assert "(processed)" in output
    assert Ticket.objects.count() == 1
    answer = Message.objects.filter(ticket=ticket).last()
    assert (answer.author_role, answer.channel, answer.author.email) == (
        AuthorRole.REQUESTER,
        Channel.EMAIL,
        "alice@example.org",
    )
    assert answer.body.startswith("Firefox 128 on Windows.")
    assert answer.inbound_email == InboundEmail.objects.get(status=InboundStatus.PROCESSED, ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    notice = OutboundEmail.objects.get(kind=OutboundKind.REQUESTER_REPLIED)
    assert (notice.to_address, notice.ticket, notice.ticket_message) == ("agent@example.com", ticket, answer)


def test_it_delivers_the_notice_to_the_assignee_with_a_workspace_link(make_ticket, agent, mailoutbox, monkeypatch):
    ticket = make_ticket()
    ticket_take(ticket, agent=agent)
    ticket_update_by_agent(ticket, agent=agent, body="Which browser do you use?", status="pending")
    message_id = deliver(OutboundKind.AGENT_REPLY, mailoutbox)
    ingest_from_stdin(monkeypatch, reply_to(message_id, b"Firefox 128 on Windows."))

    deliver(OutboundKind.REQUESTER_REPLIED, mailoutbox)

    notice = mailoutbox[-1]
    assert notice.to == ["agent@example.com"]
    assert "Firefox 128 on Windows." in notice.body
    assert re.search(rf"http://testserver/[a-z]{{2}}/agent/tickets/{ticket.reference}/", notice.body)


def test_it_reopens_a_solved_ticket_answered_by_email_and_withdraws_its_survey(
    client, make_ticket, agent, mailoutbox, monkeypatch
):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Fixed in 2.3.", status="solved")
    message_id = deliver(OutboundKind.TICKET_SOLVED, mailoutbox)
    survey_address = re.search(r"http://testserver(/[a-z]{2}/surveys/[^/\s]+/)", mailoutbox[-1].body).group(1)
    assert 'name="rating"' in client.get(survey_address).content.decode()

    ingest_from_stdin(monkeypatch, reply_to(message_id, b"No, it still fails in 2.3."))

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.last().body.startswith("No, it still fails in 2.3.")
    survey = Survey.objects.get(ticket=ticket)
    assert survey.withdrawn_at is not None
    client.post(survey_address, {"rating": "5", "comment": ""})
    survey.refresh_from_db()
    assert survey.rating is None
    assert "This request was opened again" in client.get(survey_address).content.decode()


@pytest.mark.parametrize(
    "quoted",
    [
        # Gmail in French, the attribution wrapped onto two lines.
        "Le mar. 3 juin 2025 à 10:02, Comptoir <support@comptoir.localhost> a\r\n"
        "écrit :\r\n> Which browser do you use?\r\n",
        # Outlook in English.
        "________________________________\r\nFrom: Comptoir <support@comptoir.localhost>\r\n"
        "Sent: Tuesday, June 3, 2025 10:02\r\nTo: Alice Martin\r\nSubject: Export fails\r\n\r\n"
        "Which browser do you use?\r\n",
    ],
    ids=["gmail-fr", "outlook-en"],
)
def test_an_emailed_answer_keeps_only_the_new_text_and_links_to_the_original(
    make_ticket, agent, mailoutbox, monkeypatch, client, quoted
):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Which browser do you use?", status="pending")
    message_id = deliver(OutboundKind.AGENT_REPLY, mailoutbox)
    body = f"Firefox 128.\r\n\r\n-- \r\nAlice Martin\r\n\r\n{quoted}".encode()
    raw = raw_message(
        sender="Alice Martin <alice@example.org>",
        subject="Re: Export fails",
        body=body,
        message_id="<answer-quoted@mail.example.org>",
        headers=[f"In-Reply-To: <{message_id}>"],
    )

    ingest_from_stdin(monkeypatch, raw)

    answer = Message.objects.filter(ticket=ticket).last()
    assert answer.body == "Firefox 128."
    client.force_login(agent)
    original = client.get(f"/en/agent/mail/{answer.inbound_email_id}/").content.decode()
    assert "Which browser do you use?" in original
    page = client.get(f"/en/agent/tickets/{ticket.reference}/").content.decode()
    assert f'href="/en/agent/mail/{answer.inbound_email_id}/"' in page


def test_a_forward_into_the_ticket_keeps_the_forwarded_text(make_ticket, agent, mailoutbox, monkeypatch):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Can you forward the error e-mail?", status="pending")
    message_id = deliver(OutboundKind.AGENT_REPLY, mailoutbox)
    forwarded = (
        b"Here it is.\r\n\r\n-----Original Message-----\r\nFrom: Billing <billing@example.net>\r\n"
        b"Sent: Monday, June 2, 2025 09:00\r\nTo: Alice Martin\r\nSubject: Export error\r\n\r\nError E42 at line 7.\r\n"
    )
    raw = raw_message(
        sender="Alice Martin <alice@example.org>",
        subject="FW: Export error",
        body=forwarded,
        message_id="<forward-1@mail.example.org>",
        headers=[f"In-Reply-To: <{message_id}>"],
    )

    ingest_from_stdin(monkeypatch, raw)

    assert "Error E42 at line 7." in Message.objects.filter(ticket=ticket).last().body
