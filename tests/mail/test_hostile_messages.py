"""Generated hostile and malformed e-mail (tests/mail/hostile.py) through parse_email and ingest.

What the corpus tests check on real messages, on messages every clone has:
nothing raises, every message is accounted for (a ticket message, or
quarantined with its raw bytes kept), robots are never answered, bounces are
recognised, and a From display name dressed up as another address fools nobody.
"""

from __future__ import annotations

import hashlib

import pytest

from comptoir.gateway.bounces import looks_like_bounce
from comptoir.gateway.inbound import dedup_key, ingest
from comptoir.mail.models import (
    EmailSuppression,
    InboundEmail,
    InboundStatus,
    OutboundEmail,
    OutboundKind,
    OutboundStatus,
    QuarantineKind,
)
from comptoir.mail.outbound import email_deliver
from comptoir.mail.parsing import (
    MAX_ADDRESSES,
    MAX_FILENAME_CHARS,
    MAX_SUBJECT_CHARS,
    MAX_TEXT_BODY_CHARS,
    ParsedEmail,
    parse_email,
)
from comptoir.tickets.models import Message, Ticket
from tests.mail.hostile import (
    SUPPORT,
    delivery_report,
    display_name_spoof,
    eight_bit_headers,
    hostile_messages,
    lines,
)

MESSAGES = hostile_messages()
EACH = [pytest.param(message, id=message.name) for message in MESSAGES]


def assert_bounded(parsed: ParsedEmail) -> None:
    """What the rest of Comptoir may count on, whatever came in."""
    assert "\x00" not in parsed.subject
    assert "\x00" not in parsed.text_body
    assert "\x00" not in parsed.from_name
    assert len(parsed.subject) <= MAX_SUBJECT_CHARS
    assert len(parsed.text_body) <= MAX_TEXT_BODY_CHARS
    assert len(parsed.to_addresses) <= MAX_ADDRESSES
    assert len(parsed.cc_addresses) <= MAX_ADDRESSES
    assert parsed.date is None or parsed.date.tzinfo is not None
    for attachment in parsed.attachments:
        assert attachment.filename
        assert len(attachment.filename) <= MAX_FILENAME_CHARS
        assert not {"/", "\\", "\x00", "\u202e"} & set(attachment.filename), attachment.filename
        assert attachment.filename not in (".", "..")


def test_every_kind_of_hostile_message_is_generated():
    names = [message.name for message in MESSAGES]
    assert len(names) == len(set(names))
    assert sum(message.robot is not None for message in MESSAGES) >= 10
    assert sum(message.bounce for message in MESSAGES) >= 4
    assert sum(message.true_sender is not None for message in MESSAGES) >= 3
    # Huge inputs really are huge: a header of a megabyte, thousands of headers.
    sizes = {message.name: len(message.raw) for message in MESSAGES}
    assert sizes["huge-subject"] > 1_000_000
    assert sizes["many-headers"] > 500_000


@pytest.mark.parametrize("message", EACH)
def test_parse_email_never_raises_and_keeps_its_bounds(message):
    parsed = parse_email(message.raw)

    assert isinstance(parsed, ParsedEmail)
    assert_bounded(parsed)
    if message.auto_submitted:
        assert parsed.auto_submitted, "a robot's message taken for a person's"
    if message.bounce:
        assert looks_like_bounce(parsed), "a delivery report not recognised"
    if message.true_sender is not None:
        assert parsed.from_address == message.true_sender


def test_raw_eight_bit_headers_are_read_in_the_charset_they_are_written_in():
    parsed = parse_email(eight_bit_headers())

    assert parsed.subject == "R\u00e9clamation urgente \u2713 \U0001f525"  # UTF-8
    assert parsed.from_name == "Ren\u00e9e Dupr\u00e9"  # Latin-1
    assert parsed.from_address == "renee@example.net"


@pytest.mark.django_db
@pytest.mark.parametrize("message", EACH)
def test_ingest_accounts_for_the_message_and_answers_no_robot(message):
    row = ingest(message.raw, source="test")

    stored = InboundEmail.objects.select_related("ticket").get(pk=row.pk)
    assert bytes(stored.raw) == message.raw
    assert stored.sha256 == hashlib.sha256(message.raw).hexdigest()
    assert stored.status in (InboundStatus.PROCESSED, InboundStatus.QUARANTINED)
    if stored.status == InboundStatus.PROCESSED:
        assert stored.ticket is not None
        assert Message.objects.filter(ticket=stored.ticket, inbound_email=stored).exists()
    else:
        assert stored.quarantine_reason
        assert stored.ticket is None
    if message.robot is not None:
        assert not OutboundEmail.objects.filter(to_address__iexact=message.robot).exists(), "a robot was answered"
    if message.bounce:
        # About none of our e-mails: set aside for an agent, never a ticket.
        assert (stored.status, stored.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.UNKNOWN_BOUNCE)
        assert not Ticket.objects.exists()
    if message.true_sender is not None:
        assert stored.from_address == message.true_sender
        assert stored.ticket is not None
        assert stored.ticket.requester.email == message.true_sender
        assert set(OutboundEmail.objects.values_list("to_address", flat=True)) <= {message.true_sender}


@pytest.mark.django_db
def test_all_of_them_twice_each_message_is_stored_once_and_nothing_more_is_sent():
    for message in MESSAGES:
        ingest(message.raw, source="test")
    rows = InboundEmail.objects.count()
    tickets = Ticket.objects.count()
    sent = OutboundEmail.objects.count()

    # A mail server that lost our answer delivers everything again.
    for message in MESSAGES:
        ingest(message.raw, source="imap:support")

    assert (InboundEmail.objects.count(), Ticket.objects.count(), OutboundEmail.objects.count()) == (
        rows,
        tickets,
        sent,
    )
    # One row per distinct message (its Message-ID and content, or its bytes without an id), none lost.
    keys = {dedup_key(m.raw) for m in MESSAGES}
    assert rows == len(keys)
    assert InboundEmail.objects.exclude(status__in=(InboundStatus.PROCESSED, InboundStatus.QUARANTINED)).count() == 0
    robots = {message.robot for message in MESSAGES if message.robot is not None}
    assert not OutboundEmail.objects.filter(to_address__in=robots).exists()


@pytest.mark.django_db
def test_a_display_name_showing_the_requester_address_does_not_get_into_her_ticket(make_ticket):
    ticket = make_ticket()  # Alice's, alice@example.org
    raw = display_name_spoof(
        "into-alices-ticket", b'"alice@example.org"', subject=f"Re: [#{ticket.reference}] Export fails".encode()
    )

    row = ingest(raw, source="test")

    assert (row.status, row.quarantine_kind, row.candidate_ticket) == (
        InboundStatus.QUARANTINED,
        QuarantineKind.STRANGER,
        ticket,
    )
    assert row.from_address == "mallory@evil.example"
    assert not ticket.messages.filter(inbound_email=row).exists()
    assert not OutboundEmail.objects.filter(to_address="mallory@evil.example").exists()


@pytest.mark.django_db
def test_a_generated_report_about_an_email_we_sent_is_recognised_and_acted_on(make_ticket, mailoutbox):
    ticket = make_ticket()
    confirmation = OutboundEmail.objects.get(kind=OutboundKind.TICKET_CREATED)
    assert email_deliver(confirmation.pk) is True
    confirmation.refresh_from_db()
    returned = lines(
        b"From: " + SUPPORT.encode(),
        b"To: alice@example.org",
        b"Subject: [#" + str(ticket.reference).encode() + b"] Export fails",
        b"Message-ID: <" + confirmation.message_id.encode() + b">",
    )
    raw = delivery_report(
        "about-our-confirmation",
        sender=b"Mail Delivery System <MAILER-DAEMON@mx.example.org>",
        action=b"failed",
        status=b"5.1.1",
        returned=returned,
        recipient=b"alice@example.org",
    )

    row = ingest(raw, source="test")

    assert (row.status, row.matched_by, row.ticket) == (InboundStatus.PROCESSED, "bounce", ticket)
    confirmation.refresh_from_db()
    assert confirmation.status == OutboundStatus.BOUNCED
    assert EmailSuppression.objects.get().email == "alice@example.org"
    assert Ticket.objects.count() == 1
    assert not OutboundEmail.objects.filter(to_address__iexact="mailer-daemon@mx.example.org").exists()
