"""Which ticket an e-mail answers, and who may write into it (the e-mail channel's "Done when" list).

Everything runs the real path: ingest() on raw bytes, the ticket services, and
email_deliver() into Django's locmem outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from django.conf import settings

from comptoir.gateway.inbound import ingest, quarantine_accept
from comptoir.mail.addressing import Check, Reference, check_message_id, check_reply_address, reply_address
from comptoir.mail.models import InboundEmail, InboundStatus, OutboundEmail, OutboundKind, QuarantineKind
from comptoir.mail.outbound import email_deliver
from comptoir.tickets.models import AuthorRole, Channel, Message, Status, Ticket
from comptoir.tickets.services import ticket_update_by_agent
from tests.locks import at_once
from tests.mail.test_ingest import raw_message
from tests.mail.test_reply_by_email import deliver

pytestmark = pytest.mark.django_db

SUPPORT = "support@comptoir.localhost"
ALICE = "Alice Martin <alice@example.org>"
MALLORY = "Mallory <mallory@example.com>"


def email(
    *,
    sender: str = ALICE,
    to: str = SUPPORT,
    subject: str = "Re: Export fails",
    body: bytes = b"It still fails after the update.\r\n",
    message_id: str = "<answer-1@mail.example.org>",
    headers: Sequence[str] = (),
) -> bytes:
    """raw_message() with the recipients chosen (it always writes to the support address)."""
    raw = raw_message(sender=sender, subject=subject, body=body, message_id=message_id, headers=headers)
    return raw.replace(f"To: {SUPPORT}\r\n".encode(), f"To: {to}\r\n".encode(), 1)


def tampered_signature(signed: str) -> str:
    """Our Message-ID or reply address with the signature's last character changed: right shape, wrong signature."""
    at = signed.index("@") - 1
    return signed[:at] + ("b" if signed[at] == "a" else "a") + signed[at + 1 :]


def untouched(ticket: Ticket) -> tuple[int, str, int]:
    """What a message that must not reach the ticket could change: its messages, its status, e-mail sent."""
    ticket.refresh_from_db()
    return ticket.messages.count(), ticket.status, OutboundEmail.objects.count()


@pytest.fixture
def waiting_ticket(make_ticket, agent, mailoutbox) -> tuple[Ticket, str]:
    """Alice's ticket, pending on her answer to an agent reply we really sent; and that e-mail's Message-ID."""
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Which browser do you use?", status=Status.PENDING)
    message_id = deliver(OutboundKind.AGENT_REPLY, mailoutbox)
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    return ticket, message_id


# --- Three ways back to the ticket, each on its own ---------------------------------------


def by_reply_address(ticket: Ticket, message_id: str) -> bytes:
    return email(to=reply_address(ticket.reference))


def by_in_reply_to(ticket: Ticket, message_id: str) -> bytes:
    return email(headers=[f"In-Reply-To: <{message_id}>"])


@pytest.mark.parametrize(
    ("build", "matched_by"),
    [(by_reply_address, "reply_address"), (by_in_reply_to, "references")],
    ids=["reply-address-only", "in-reply-to-only"],
)
def test_it_threads_a_requester_reply_by_each_signed_reference_alone_and_reopens_the_ticket(
    waiting_ticket, build: Callable[[Ticket, str], bytes], matched_by: str
):
    ticket, message_id = waiting_ticket
    raw = build(ticket, message_id)

    row = ingest(raw, source="test")

    assert (row.status, row.ticket, row.matched_by) == (InboundStatus.PROCESSED, ticket, matched_by)
    assert Ticket.objects.count() == 1
    answer = ticket.messages.last()
    assert (answer.author.email, answer.author_role, answer.channel, answer.inbound_email) == (
        "alice@example.org",
        AuthorRole.REQUESTER,
        Channel.EMAIL,
        row,
    )
    assert answer.body.startswith("It still fails after the update.")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_it_finds_the_reply_address_when_only_the_mail_server_kept_it(waiting_ticket):
    # The client replied to the plain support address; the server still says where it delivered.
    ticket, _ = waiting_ticket
    raw = email(headers=[f"Delivered-To: {reply_address(ticket.reference)}"])

    row = ingest(raw, source="test")

    assert (row.status, row.ticket, row.matched_by) == (InboundStatus.PROCESSED, ticket, "reply_address")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.messages.count()) == (Status.OPEN, 3)


# --- What must not reach the ticket --------------------------------------------------------


def test_it_quarantines_a_subject_tag_from_a_stranger_and_leaves_the_ticket_alone(waiting_ticket):
    ticket, _ = waiting_ticket
    before = untouched(ticket)

    row = ingest(email(sender=MALLORY, subject=f"Re: [#{ticket.reference}] Export fails"), source="test")

    assert row.status == InboundStatus.QUARANTINED
    assert row.candidate_ticket == ticket
    assert row.ticket is None
    assert "mallory@example.com" in row.quarantine_reason
    assert "subject_tag" in row.quarantine_reason
    assert untouched(ticket) == before
    assert Ticket.objects.count() == 1


def test_it_quarantines_a_reply_to_a_message_id_with_a_forged_signature(waiting_ticket):
    ticket, message_id = waiting_ticket
    forged = tampered_signature(message_id)
    assert check_message_id(forged) == Reference(Check.FORGED, ticket.reference)
    before = untouched(ticket)

    row = ingest(email(headers=[f"In-Reply-To: <{forged}>", f"References: <{forged}>"]), source="test")

    assert row.status == InboundStatus.QUARANTINED
    assert "forged" in row.quarantine_reason
    assert row.ticket is None
    assert untouched(ticket) == before
    assert Ticket.objects.count() == 1


def test_it_quarantines_a_forged_reply_address_even_with_a_genuine_message_id(waiting_ticket):
    # A forged signature anywhere spoils the whole message: someone is guessing.
    ticket, message_id = waiting_ticket
    forged = tampered_signature(reply_address(ticket.reference))
    assert check_reply_address(forged) == Reference(Check.FORGED, ticket.reference)
    before = untouched(ticket)

    row = ingest(email(to=forged, headers=[f"In-Reply-To: <{message_id}>"]), source="test")

    assert (row.status, row.ticket) == (InboundStatus.QUARANTINED, None)
    assert "forged" in row.quarantine_reason
    assert untouched(ticket) == before


def test_it_quarantines_a_stranger_writing_to_the_reply_address(waiting_ticket):
    ticket, _ = waiting_ticket
    before = untouched(ticket)

    row = ingest(email(sender=MALLORY, to=reply_address(ticket.reference)), source="test")

    assert (row.status, row.candidate_ticket, row.ticket) == (InboundStatus.QUARANTINED, ticket, None)
    assert "not a participant" in row.quarantine_reason
    assert untouched(ticket) == before
    assert Ticket.objects.count() == 1


def test_it_opens_a_new_ticket_for_a_stranger_when_configured_to(waiting_ticket, settings):
    settings.COMPTOIR_INBOUND_STRANGERS = "new_ticket"
    ticket, _ = waiting_ticket
    messages_before = ticket.messages.count()

    row = ingest(email(sender=MALLORY, to=reply_address(ticket.reference)), source="test")

    assert row.status == InboundStatus.PROCESSED
    new = row.ticket
    assert new is not None and new != ticket
    assert (new.requester.email, new.channel) == ("mallory@example.com", Channel.EMAIL)
    assert new.messages.get().body.startswith("It still fails after the update.")
    ticket.refresh_from_db()
    assert (ticket.messages.count(), ticket.status) == (messages_before, Status.PENDING)


def test_it_quarantines_an_agent_answering_by_email(waiting_ticket, agent):
    ticket, message_id = waiting_ticket
    before = untouched(ticket)

    row = ingest(email(sender=f"Camille <{agent.email}>", headers=[f"In-Reply-To: <{message_id}>"]), source="test")

    assert (row.status, row.candidate_ticket, row.ticket) == (InboundStatus.QUARANTINED, ticket, None)
    assert "agent" in row.quarantine_reason
    assert untouched(ticket) == before
    assert Ticket.objects.count() == 1


def test_it_ignores_comptoir_control_headers_on_inbound_mail(waiting_ticket, agent):
    # Nobody outside can prove they wrote an X-Comptoir-* header.
    ticket, _ = waiting_ticket
    before = untouched(ticket)
    raw = email(
        sender=MALLORY,
        subject="Printer on fire",
        headers=[f"X-Comptoir-Ticket: {ticket.reference}", f"X-Comptoir-Author: {agent.email}"],
    )

    row = ingest(raw, source="test")

    assert row.status == InboundStatus.PROCESSED
    assert row.ticket != ticket
    assert row.ticket.requester.email == "mallory@example.com"
    messages, status, _ = untouched(ticket)
    assert (messages, status) == before[:2]


# --- People copied -----------------------------------------------------------------------------


@pytest.fixture
def copied_ticket(ingest_vouched) -> Ticket:
    """A ticket Bob opened by e-mail, copying Carol and Dave (and, in To, two of our own addresses); DMARC vouches."""
    raw = raw_message(
        subject="Printer on fire",
        headers=["Cc: Carol Jones <carol@example.net>, dave@example.net, Bob Stranger <bob@example.net>"],
    ).replace(
        f"To: {SUPPORT}\r\n".encode(),
        f"To: {SUPPORT}, support+billing@comptoir.localhost, {reply_address(9999)}\r\n".encode(),
        1,
    )
    row = ingest_vouched(raw)
    assert row.status == InboundStatus.PROCESSED
    return row.ticket


def test_it_records_the_people_copied_on_a_new_emailed_ticket_but_not_our_addresses(copied_ticket):
    assert copied_ticket.requester.email == "bob@example.net"
    assert sorted(copied_ticket.ccs.values_list("email", flat=True)) == ["carol@example.net", "dave@example.net"]


def test_it_lets_a_copied_person_answer_by_email_once_an_agent_let_their_first_message_in(copied_ticket, agent):
    # Carol was copied by Bob's e-mail: nobody vouched for her address, so her first message waits.
    first = email(
        sender="Carol Jones <carol@example.net>", to=reply_address(copied_ticket.reference), message_id="<carol-0@x>"
    )
    waiting = ingest(first, source="test")
    assert (waiting.status, waiting.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.UNCONFIRMED_CC)
    quarantine_accept(waiting, agent=agent)
    raw = email(
        sender="Carol Jones <carol@example.net>",
        to=reply_address(copied_ticket.reference),
        body=b"Room 4 is mine, I can confirm.\r\n",
        message_id="<carol-1@mail.example.net>",
    )

    row = ingest(raw, source="test")

    assert (row.status, row.ticket) == (InboundStatus.PROCESSED, copied_ticket)
    answer = copied_ticket.messages.last()
    assert answer.inbound_email == row
    assert (answer.author.email, answer.author_role) == ("carol@example.net", AuthorRole.REQUESTER)
    assert answer.body.startswith("Room 4 is mine, I can confirm.")
    assert Ticket.objects.count() == 1


def delivered_to(mailoutbox, address: str):
    sent = [message for message in mailoutbox if message.to == [address]]
    assert len(sent) == 1, [message.to for message in mailoutbox]
    return sent[0]


def test_it_sends_an_agent_reply_to_each_copied_person_without_the_requester_link(copied_ticket, agent, mailoutbox):
    ticket_update_by_agent(copied_ticket, agent=agent, body="We sent a technician.", status=Status.PENDING)

    queued = OutboundEmail.objects.filter(ticket=copied_ticket).exclude(
        kind__in=(OutboundKind.TICKET_CREATED, OutboundKind.CCS_ADDED)
    )
    assert sorted(queued.values_list("kind", "to_address")) == [
        (OutboundKind.AGENT_REPLY, "bob@example.net"),
        (OutboundKind.AGENT_REPLY_CC, "carol@example.net"),
        (OutboundKind.AGENT_REPLY_CC, "dave@example.net"),
    ]
    for outbound in queued:
        assert email_deliver(outbound.pk) is True

    link = f"{settings.COMPTOIR_BASE_URL}/t/"
    requester_email = delivered_to(mailoutbox, "bob@example.net")
    assert link in requester_email.body
    for address in ("carol@example.net", "dave@example.net"):
        sent = delivered_to(mailoutbox, address)
        html = sent.alternatives[0][0]
        assert "We sent a technician." in sent.body
        assert "We sent a technician." in html
        # The ticket is not theirs to open: no personal link, in either part.
        for text in (sent.body, html):
            assert settings.COMPTOIR_BASE_URL not in text
            assert "/tickets/" not in text
            assert "/t/" not in text


def test_it_sends_nothing_to_copied_people_for_an_internal_note(copied_ticket, agent):
    before = OutboundEmail.objects.count()

    ticket_update_by_agent(copied_ticket, agent=agent, body="The printer is from 2009.", is_public=False)

    assert OutboundEmail.objects.count() == before
    assert not OutboundEmail.objects.filter(kind=OutboundKind.AGENT_REPLY_CC).exists()


# --- The headers we send -----------------------------------------------------------------------


def test_it_sends_headers_that_lead_a_reply_back_to_the_ticket(agent, mailoutbox):
    row = ingest(raw_message(), source="test")
    ticket = row.ticket
    deliver(OutboundKind.TICKET_CREATED, mailoutbox)
    ticket_update_by_agent(ticket, agent=agent, body="Please unplug it.", status=Status.PENDING)

    deliver(OutboundKind.AGENT_REPLY, mailoutbox)

    confirmation, reply = (message.message() for message in mailoutbox)
    for sent in (confirmation, reply):
        assert check_message_id(sent["Message-ID"]) == Reference(Check.VALID, ticket.reference)
        assert sent["Reply-To"] == reply_address(ticket.reference)
        # Answers to the requester's own e-mail thread under it in her client.
        assert sent["In-Reply-To"] == "<first@mail.example.net>"
        assert "<first@mail.example.net>" in sent["References"]
        assert sent["X-Auto-Response-Suppress"] == "All"
    assert confirmation["Message-ID"] != reply["Message-ID"]
    # The confirmation answers her message automatically (RFC 3834); the agent's reply is a person's.
    assert confirmation["Auto-Submitted"] == "auto-replied"
    assert reply["Auto-Submitted"] is None
    stored = OutboundEmail.objects.get(kind=OutboundKind.AGENT_REPLY)
    assert f"<{stored.message_id}>" == reply["Message-ID"]


# --- The same message twice ------------------------------------------------------------------


def test_it_adds_a_message_delivered_twice_to_the_ticket_once(waiting_ticket):
    ticket, message_id = waiting_ticket
    raw = email(headers=[f"In-Reply-To: <{message_id}>"])

    first = ingest(raw, source="imap:support")
    second = ingest(raw, source="stdin")

    assert second.pk == first.pk
    assert ticket.messages.filter(inbound_email=first).count() == 1
    assert ticket.messages.count() == 3
    assert InboundEmail.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_adds_a_message_ingested_by_two_workers_at_once_to_the_ticket_once(make_ticket):
    ticket = make_ticket()
    raw = email(to=reply_address(ticket.reference))

    rows = at_once(lambda: ingest(raw, source="test"), timeout=60)

    assert len(rows) == 2 and rows[0].pk == rows[1].pk
    assert InboundEmail.objects.get().status == InboundStatus.PROCESSED
    assert Message.objects.filter(ticket=ticket).count() == 2
    assert Message.objects.filter(ticket=ticket, channel=Channel.EMAIL).count() == 1
    assert Ticket.objects.count() == 1
