"""The conversation services: status rules, history, and what each step e-mails."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import (
    Attachment,
    Channel,
    EventKind,
    Message,
    Priority,
    Status,
    SupportGroup,
    Ticket,
    TicketType,
)
from comptoir.tickets.services import (
    TicketClosed,
    ticket_reply_by_requester,
    ticket_set_status,
    ticket_take,
    ticket_update_by_agent,
)
from tests.conftest import png_attachment, png_bytes

pytestmark = pytest.mark.django_db

NOTE_TEXT = "Internal: the customer's contract expired, do not tell them yet."
NOTE_FILE = "internal-contract.png"


def queued(ticket: Ticket) -> list[tuple[str, str]]:
    """(kind, recipient) of the e-mails queued about the ticket, the confirmation left out."""
    rows = OutboundEmail.objects.filter(ticket=ticket).exclude(kind=OutboundKind.TICKET_CREATED).order_by("id")
    return list(rows.values_list("kind", "to_address"))


def deliver(kind: str, ticket: Ticket) -> EmailMultiAlternatives:
    """Build and send the one queued e-mail of that kind; return what left."""
    email = OutboundEmail.objects.get(kind=kind, ticket=ticket)
    assert email_deliver(email.pk) is True
    return mail.outbox[-1]


def html_of(message: EmailMultiAlternatives) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def status_events(ticket: Ticket) -> list[tuple[str, str]]:
    return list(ticket.events.filter(kind=EventKind.STATUS).values_list("old_value", "new_value"))


def in_status(make_ticket, status: str, **extra) -> Ticket:
    ticket = make_ticket(**extra)
    if status != Status.NEW:
        ticket_set_status(ticket, status, actor=None)
    return ticket


# --- What an agent does to the status -------------------------------------------


@pytest.mark.parametrize("action", ["reply", "note", "take"])
def test_it_opens_a_new_ticket_when_an_agent_first_acts(make_ticket, agent, action):
    ticket = make_ticket()
    if action == "take":
        ticket_take(ticket, agent=agent)
    else:
        ticket_update_by_agent(ticket, agent=agent, body="Looking into it.", is_public=action == "reply")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    event = ticket.events.get(kind=EventKind.STATUS)
    assert (event.actor, event.old_value, event.new_value) == (agent, Status.NEW, Status.OPEN)
    if action == "take":
        assert ticket.assignee == agent


@pytest.mark.parametrize("chosen", [Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.OPEN])
def test_it_sets_the_status_an_agent_submits_instead_of_open(make_ticket, agent, chosen):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Answer", status=chosen)
    ticket.refresh_from_db()
    assert ticket.status == chosen
    assert status_events(ticket) == [(Status.NEW, chosen)]


def test_it_moves_a_working_ticket_between_submitted_statuses_and_keeps_it_otherwise(make_ticket, agent):
    ticket = in_status(make_ticket, Status.OPEN)
    ticket_update_by_agent(ticket, agent=agent, body="Waiting for you", status=Status.PENDING)
    ticket_update_by_agent(ticket, agent=agent, body="Still waiting", is_public=False)
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    ticket_update_by_agent(ticket, agent=agent, status=Status.ON_HOLD)
    ticket_update_by_agent(ticket, agent=agent, status=Status.OPEN)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert status_events(ticket)[1:] == [("open", "pending"), ("pending", "on_hold"), ("on_hold", "open")]


@pytest.mark.parametrize("forbidden", [Status.NEW, Status.CLOSED, "archived"])
def test_it_refuses_a_status_agents_cannot_set_and_writes_nothing(make_ticket, agent, forbidden):
    ticket = in_status(make_ticket, Status.OPEN)
    with pytest.raises(ValueError, match="agents cannot set the status"):
        ticket_update_by_agent(ticket, agent=agent, body="Closing this", status=forbidden, priority=Priority.HIGH)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.OPEN, Priority.NORMAL)
    assert ticket.messages.count() == 1
    assert queued(ticket) == []


# --- What a requester's reply does --------------------------------------------


@pytest.mark.parametrize("channel", [Channel.WEB, Channel.EMAIL])
@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Status.PENDING, Status.OPEN),
        (Status.ON_HOLD, Status.OPEN),
        (Status.SOLVED, Status.OPEN),
        (Status.NEW, Status.NEW),
        (Status.OPEN, Status.OPEN),
    ],
)
def test_it_applies_the_requesters_reply_to_the_status(make_ticket, requester, before, after, channel):
    ticket = in_status(make_ticket, before)
    earlier = len(status_events(ticket))
    message = ticket_reply_by_requester(ticket=ticket, body="Any news?", channel=channel)
    ticket.refresh_from_db()
    assert (message.ticket, message.channel, message.author, message.body) == (ticket, channel, requester, "Any news?")
    assert ticket.status == after
    assert status_events(ticket)[earlier:] == ([(before, after)] if before != after else [])
    assert ticket.events.get(kind=EventKind.REPLY).actor == requester
    if before != after:
        assert ticket.events.filter(kind=EventKind.STATUS).last().actor == requester


def test_it_tells_the_assignee_that_the_requester_replied(make_ticket, agent, mailoutbox):
    ticket = in_status(make_ticket, Status.PENDING)
    ticket_take(ticket, agent=agent)
    message = ticket_reply_by_requester(ticket=ticket, body="Here are the logs you asked for.", channel=Channel.EMAIL)
    assert queued(ticket) == [(OutboundKind.REQUESTER_REPLIED, agent.email)]
    assert OutboundEmail.objects.get(kind=OutboundKind.REQUESTER_REPLIED).ticket_message == message
    sent = deliver(OutboundKind.REQUESTER_REPLIED, ticket)
    assert sent.to == [agent.email]
    assert "Here are the logs you asked for." in sent.body
    assert f"/agent/tickets/{ticket.reference}/" in sent.body


def test_it_tells_nobody_when_the_ticket_has_no_assignee(make_ticket):
    ticket = in_status(make_ticket, Status.PENDING)
    ticket_reply_by_requester(ticket=ticket, body="Here are the logs.", channel=Channel.WEB)
    assert queued(ticket) == []


# --- Closed is final ------------------------------------------------------------


def test_it_opens_a_linked_follow_up_when_the_requester_replies_to_a_closed_ticket(make_ticket, requester, mailoutbox):
    closed = in_status(make_ticket, Status.CLOSED)
    message = ticket_reply_by_requester(ticket=closed, body="It broke again.", channel=Channel.EMAIL)
    follow_up = message.ticket
    assert follow_up != closed
    assert (follow_up.follow_up_of, follow_up.status, follow_up.requester) == (closed, Status.NEW, requester)
    assert (follow_up.subject, message.body) == ("Export fails", "It broke again.")
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED
    assert closed.messages.count() == 1
    event = closed.events.get(kind=EventKind.FOLLOW_UP)
    assert (event.actor, event.new_value) == (requester, f"#{follow_up.reference}")
    sent = deliver(OutboundKind.TICKET_CREATED, follow_up)
    assert f"#{follow_up.reference}" in sent.subject
    assert f"#{closed.reference} was closed" in sent.body
    assert f"#{closed.reference} was closed" in html_of(sent)


@pytest.mark.parametrize(
    "change",
    [
        {"body": "A public answer"},
        {"status": Status.OPEN},
        {"priority": Priority.HIGH},
        {"ticket_type": TicketType.INCIDENT},
        {"assignee": "agent"},
        {"assignee": None},
        {"group": "group"},
    ],
    ids=["reply", "status", "priority", "type", "assignee", "unassign", "group"],
)
def test_it_refuses_replies_and_changes_on_a_closed_ticket(make_ticket, agent, change):
    ticket = in_status(make_ticket, Status.CLOSED)
    kwargs = dict(change)
    if kwargs.get("assignee") == "agent":
        kwargs["assignee"] = agent
    if "group" in kwargs:
        kwargs["group"] = SupportGroup.objects.create(name="Billing")
    with pytest.raises(TicketClosed):
        ticket_update_by_agent(ticket, agent=agent, **kwargs)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.type) == (Status.CLOSED, Priority.NORMAL, TicketType.QUESTION)
    assert (ticket.assignee, ticket.group, ticket.messages.count()) == (None, None, 1)
    assert ticket.events.count() == 2  # created, closed
    assert queued(ticket) == []


def test_it_accepts_an_internal_note_on_a_closed_ticket(make_ticket, agent):
    ticket = in_status(make_ticket, Status.CLOSED)
    note = ticket_update_by_agent(ticket, agent=agent, body="Customer called about this.", is_public=False)
    ticket.refresh_from_db()
    assert note is not None and note.is_public is False
    assert ticket.status == Status.CLOSED
    assert ticket.events.last().kind == EventKind.NOTE
    assert queued(ticket) == []


# --- History -----------------------------------------------------------------


def test_it_records_who_changed_what_from_what_to_what(make_ticket, agent):
    other = User.objects.create_user("lea@example.com", name="Léa", role=Role.AGENT)
    billing = SupportGroup.objects.create(name="Billing")
    ticket = make_ticket()
    ticket_update_by_agent(
        ticket,
        agent=agent,
        priority=Priority.URGENT,
        ticket_type=TicketType.INCIDENT,
        assignee=agent,
        group=billing,
        body="We are on it.",
    )
    ticket_update_by_agent(ticket, agent=other, body="Checked the logs.", is_public=False, assignee=other)
    ticket_update_by_agent(ticket, agent=other, priority=Priority.URGENT, group=None, status=Status.PENDING)
    history = [(e.kind, e.actor, e.old_value, e.new_value) for e in ticket.events.order_by("id")]
    assert history == [
        (EventKind.CREATED, ticket.requester, "", Status.NEW),
        (EventKind.PRIORITY, agent, Priority.NORMAL, Priority.URGENT),
        (EventKind.TYPE, agent, TicketType.QUESTION, TicketType.INCIDENT),
        (EventKind.ASSIGNEE, agent, "", "Camille"),
        (EventKind.GROUP, agent, "", "Billing"),
        (EventKind.REPLY, agent, "", ""),
        (EventKind.STATUS, agent, Status.NEW, Status.OPEN),
        (EventKind.ASSIGNEE, other, "Camille", "Léa"),
        (EventKind.NOTE, other, "", ""),
        # The priority did not change: no event for it.
        (EventKind.GROUP, other, "Billing", ""),
        (EventKind.STATUS, other, Status.OPEN, Status.PENDING),
    ]


# --- E-mails to the requester ---------------------------------------------------


def test_it_emails_a_public_reply_to_the_requester_in_the_tickets_language(make_ticket, agent, client, mailoutbox):
    ticket = make_ticket(language="fr")
    ticket_update_by_agent(ticket, agent=agent, body="Please try the new version.", files=[png_attachment("fix.png")])
    assert queued(ticket) == [(OutboundKind.AGENT_REPLY, "alice@example.org")]
    assert OutboundEmail.objects.get(kind=OutboundKind.AGENT_REPLY).language == "fr"
    sent = deliver(OutboundKind.AGENT_REPLY, ticket)
    html = html_of(sent)
    assert sent.to == ["alice@example.org"]
    assert f"[#{ticket.reference}]" in sent.subject
    for part in (sent.body, html):
        assert "Please try the new version." in part
        assert "Un agent traite votre demande." in part  # the status help, in French
    assert sent.attachments == [("fix.png", png_bytes(), "image/png")]
    [link] = re.findall(r"http://testserver(/t/#[\w-]+)", sent.body)
    assert link in html
    # What the link's page posts once a browser has opened it.
    response = client.post("/t/", {"link": link.partition("#")[2]})
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200


def test_it_lists_files_too_large_for_the_email_without_attaching_them(make_ticket, agent, settings, mailoutbox):
    settings.COMPTOIR_EMAIL_ATTACHMENTS_MAX_BYTES = 10
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="See the screenshot.", files=[png_attachment("big.png")])
    sent = deliver(OutboundKind.AGENT_REPLY, ticket)
    assert sent.attachments == []
    for part in (sent.body, html_of(sent)):
        assert "big.png" in part
        assert "Files to download from your ticket page:" in part
        assert "Files attached to this e-mail:" not in part


def test_it_sends_only_the_solved_email_with_the_reply_and_the_survey(make_ticket, agent, mailoutbox):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Fixed in version 2.1.", status=Status.SOLVED)
    assert queued(ticket) == [(OutboundKind.TICKET_SOLVED, "alice@example.org")]
    sent = deliver(OutboundKind.TICKET_SOLVED, ticket)
    html = html_of(sent)
    for part in (sent.body, html):
        assert "Fixed in version 2.1." in part
        assert re.search(r"http://testserver/en/surveys/[\w-]{43}/", part)
    assert "?rating=5" in html
    assert len(mailoutbox) == 1


def test_it_sends_the_solved_email_when_solving_without_a_message(make_ticket, agent, mailoutbox):
    ticket = in_status(make_ticket, Status.OPEN)
    assert ticket_update_by_agent(ticket, agent=agent, status=Status.SOLVED) is None
    assert queued(ticket) == [(OutboundKind.TICKET_SOLVED, "alice@example.org")]
    sent = deliver(OutboundKind.TICKET_SOLVED, ticket)
    assert "is solved" in sent.body
    assert "/en/surveys/" in sent.body


# --- Internal notes never leave -----------------------------------------------


def add_note(ticket: Ticket, agent) -> Message:
    note = ticket_update_by_agent(
        ticket, agent=agent, body=NOTE_TEXT, is_public=False, files=[png_attachment(NOTE_FILE)]
    )
    assert note is not None
    return note


def test_it_emails_nothing_for_an_internal_note(make_ticket, agent):
    ticket = make_ticket()
    add_note(ticket, agent)
    assert queued(ticket) == []


def test_it_never_puts_a_note_in_any_email_of_the_conversation(make_ticket, agent, mailoutbox):
    ticket = make_ticket()
    add_note(ticket, agent)
    ticket_update_by_agent(ticket, agent=agent, body="We found the cause.", files=[png_attachment("public.png")])
    add_note(ticket, agent)
    ticket_update_by_agent(ticket, agent=agent, body="Solved now.", status=Status.SOLVED)
    for email in OutboundEmail.objects.order_by("id"):
        assert email_deliver(email.pk) is True
    assert len(mailoutbox) == 3  # received, reply, solved
    for sent in mailoutbox:
        everything = " ".join([sent.subject, sent.body, html_of(sent), *(name for name, _, _ in sent.attachments)])
        assert "contract expired" not in everything
        assert NOTE_FILE not in everything
    assert [name for name, _, _ in mailoutbox[1].attachments] == ["public.png"]
    assert "Solved now." in mailoutbox[2].body


def test_it_hides_notes_and_their_files_from_the_requesters_page(make_ticket, agent, client):
    ticket = make_ticket()
    note = add_note(ticket, agent)
    ticket_update_by_agent(ticket, agent=agent, body="A public answer.", files=[png_attachment("public.png")])
    response = client.get(reverse("ticket_link_redeem", args=[link_issue(ticket)]))
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert "A public answer." in content
    assert NOTE_TEXT not in content and NOTE_FILE not in content
    secret = Attachment.objects.get(message=note)
    public = Attachment.objects.get(filename="public.png")
    with translation.override("en"):
        secret_url = reverse("attachment_download", args=[ticket.reference, secret.pk])
        public_url = reverse("attachment_download", args=[ticket.reference, public.pk])
    assert client.get(secret_url).status_code == 404
    assert client.get(public_url).status_code == 200
