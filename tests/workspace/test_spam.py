"""Marking a ticket as spam: closed and out of the views, nobody told, its sender blocked for new tickets if chosen."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.gateway.inbound import ingest
from comptoir.mail.models import InboundStatus, OutboundEmail, QuarantineKind
from comptoir.tickets.blocks import BlockScope, block_for, block_pattern
from comptoir.tickets.models import EventKind, SenderBlock, Status, Ticket
from comptoir.tickets.services import ticket_mark_spam
from tests.mail.test_ingest import raw_message
from tests.tickets.test_ticket_form import form_url, valid_data

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def listed(client, view: str) -> list[int]:
    html = client.get(url("agent_tickets"), {"view": view}).content.decode()
    return sorted(int(ref) for ref in re.findall(r'<span class="ref">#(\d+)</span>', html))


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_spam_leaves_every_view_but_spam_and_nobody_is_told(signed_in, make_ticket, agent):
    spam = make_ticket(email="win@prizes.example", subject="You won")
    kept = make_ticket(subject="Real question")
    before = OutboundEmail.objects.count()
    response = signed_in.post(url("agent_ticket_spam", spam.reference), {"block": ""})
    assert response["Location"] == url("agent_tickets")
    spam.refresh_from_db()
    assert spam.spam and spam.status == Status.CLOSED
    assert [event.kind for event in spam.events.filter(actor=agent)] == [EventKind.SPAM, EventKind.STATUS]
    assert OutboundEmail.objects.count() == before
    assert not SenderBlock.objects.exists()  # nothing blocked unless asked
    assert listed(signed_in, "all") == [kept.reference]
    assert listed(signed_in, "unassigned") == [kept.reference]
    assert listed(signed_in, "spam") == [spam.reference]


def test_a_blocked_address_opens_no_ticket_by_e_mail_or_form_but_its_replies_arrive(signed_in, make_ticket, client):
    earlier = make_ticket(email="mallory@spam.example", subject="Earlier, real")
    spam = make_ticket(email="mallory@spam.example", subject="Cheap pills")
    signed_in.post(url("agent_ticket_spam", spam.reference), {"block": BlockScope.ADDRESS})
    assert SenderBlock.objects.get().pattern == "mallory@spam.example"

    row = ingest(raw_message(sender="Mallory <Mallory@spam.example>", subject="More pills"), source="test")
    assert (row.status, row.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.BLOCKED_SENDER)
    assert bytes(row.raw)  # kept, not lost
    assert not Ticket.objects.filter(subject="More pills").exists()
    reply = raw_message(
        sender="Mallory <mallory@spam.example>",
        subject=f"Re: [#{earlier.reference}] Earlier, real",
        message_id="<reply-2@spam.example>",
    )
    assert ingest(reply, source="test").ticket == earlier

    anonymous = Client()
    response = anonymous.post(form_url(), valid_data(email="mallory@spam.example", subject="Form pills"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "New tickets from this address are not accepted." in page and 'value="Form pills"' in page
    assert not Ticket.objects.filter(subject="Form pills").exists()


def test_a_blocked_domain_refuses_each_of_its_addresses_until_an_admin_lifts_it(make_ticket, agent):
    spam = make_ticket(email="one@spam.example")
    block = ticket_mark_spam(spam, agent=agent, block=BlockScope.DOMAIN)
    assert block is not None and block.pattern == "@spam.example" and block.reason == f"#{spam.reference}"
    assert block_for("two@SPAM.example") == block
    assert block_for("two@spam.example.org") is None
    block.delete()  # what lifting it in the admin does
    row = ingest(raw_message(sender="two@spam.example", subject="Now welcome"), source="test")
    assert row.status == InboundStatus.PROCESSED and row.ticket is not None


def test_block_patterns():
    assert block_pattern(" Claire@Example.ORG ", BlockScope.ADDRESS) == "claire@example.org"
    assert block_pattern("claire@example.org", BlockScope.DOMAIN) == "@example.org"
    assert block_pattern("claire@example.org", BlockScope.NONE) == ""


def test_only_agents_mark_spam_by_post(client, make_ticket, agent):
    ticket = make_ticket()
    client.force_login(ticket.requester)
    assert client.post(url("agent_ticket_spam", ticket.reference)).status_code == 403
    client.force_login(agent)
    assert client.get(url("agent_ticket_spam", ticket.reference)).status_code == 405
    ticket.refresh_from_db()
    assert not ticket.spam


def test_a_reply_to_the_spam_ticket_itself_is_kept_there_quietly(make_ticket, agent):
    spam = make_ticket(email="mallory@spam.example", subject="Cheap pills")
    ticket_mark_spam(spam, agent=agent, block=BlockScope.ADDRESS)
    before = OutboundEmail.objects.count()
    reply = raw_message(
        sender="Mallory <mallory@spam.example>",
        subject=f"Re: [#{spam.reference}] Cheap pills",
        message_id="<again@spam.example>",
    )
    row = ingest(reply, source="test")
    # No follow-up opened, no confirmation sent: the block is not got round by answering.
    assert not Ticket.objects.filter(follow_up_of=spam).exists()
    assert Ticket.objects.count() == 1
    assert OutboundEmail.objects.count() == before
    spam.refresh_from_db()
    assert spam.status == Status.CLOSED and spam.spam
    # Kept on the spam ticket (a reply there, or a note for the agents when its sender is unproven).
    assert row.ticket == spam and spam.messages.count() == 2


def test_an_admin_block_is_kept_as_blocks_are_compared():
    block = SenderBlock(pattern="  @Spam.Example ")
    block.full_clean()
    assert block.pattern == "@spam.example"
    with pytest.raises(ValidationError) as refused:
        SenderBlock(pattern="spam.example").full_clean()
    assert "pattern" in refused.value.message_dict


def test_a_proven_reply_on_a_spam_ticket_is_kept_as_a_quiet_reply(make_ticket, agent):
    from comptoir.tickets.models import Channel
    from comptoir.tickets.services import ticket_reply_by_requester

    spam = make_ticket(email="mallory@spam.example")
    ticket_mark_spam(spam, agent=agent)
    message = ticket_reply_by_requester(ticket=spam, body="Buy now", channel=Channel.WEB)
    assert message.ticket == spam
    assert spam.events.filter(kind=EventKind.REPLY, automatic=True, message=message).count() == 1
    spam.refresh_from_db()
    assert spam.status == Status.CLOSED
