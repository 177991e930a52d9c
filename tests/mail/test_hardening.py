"""Cases found in review: forged From with a subject tag, long names, spoofed bounces, stuck messages."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from comptoir.gateway.inbound import MAX_CCS_FROM_EMAIL, ingest, ingest_stuck, quarantine_accept
from comptoir.mail.addressing import Check, check_reply_address, reply_address
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
from comptoir.tickets.models import Status, Ticket, TicketCC
from comptoir.tickets.services import ticket_add_ccs, ticket_set_status, ticket_update_by_agent
from tests.conftest import stored_inbound_email
from tests.mail.test_ingest import raw_message

pytestmark = pytest.mark.django_db

ALICE = "Alice Martin <alice@example.org>"


def to_reply_address(raw: bytes, ticket: Ticket) -> bytes:
    return raw.replace(b"To: support@comptoir.localhost", f"To: {reply_address(ticket.reference)}".encode())


def test_a_subject_tag_alone_never_copies_anyone_on_the_ticket(make_ticket):
    ticket = make_ticket()
    forged = raw_message(
        sender=ALICE,  # anyone can write this From
        subject=f"Re: [#{ticket.reference}] Export fails",
        body=b"Please also send the answers to my colleague.\r\n",
        message_id="<forged-from@evil.example>",
        headers=["Cc: mallory@evil.example"],
    )

    row = ingest(forged, source="test")

    assert (row.status, row.matched_by) == (InboundStatus.PROCESSED, "subject_tag")
    assert not TicketCC.objects.exists()


def test_a_signed_reply_copies_the_people_it_was_sent_to(make_ticket):
    ticket = make_ticket()
    raw = raw_message(sender=ALICE, message_id="<signed@example.org>", headers=["Cc: Dana <dana@example.org>"])

    ingest(to_reply_address(raw, ticket), source="test")

    assert list(ticket.ccs.values_list("email", flat=True)) == ["dana@example.org"]


def test_a_mailing_to_many_people_copies_nobody(make_ticket):
    many = ", ".join(f"person{n}@example.net" for n in range(MAX_CCS_FROM_EMAIL + 1))
    row = ingest(raw_message(message_id="<mailing@example.net>", headers=[f"Cc: {many}"]), source="test")

    assert row.status == InboundStatus.PROCESSED
    assert not TicketCC.objects.exists()


def test_our_own_aliases_are_never_copied(settings):
    settings.COMPTOIR_OWN_ADDRESSES = frozenset({"help@comptoir.localhost"})

    ingest(raw_message(message_id="<alias@example.net>", headers=["Cc: help@comptoir.localhost"]), source="test")

    assert not TicketCC.objects.exists()


def test_a_very_long_display_name_is_cut_not_refused():
    long_name = "Dr " + "Bartholomew " * 30
    row = ingest(raw_message(sender=f"{long_name}<bart@example.net>", message_id="<long@example.net>"), source="test")

    assert row.status == InboundStatus.PROCESSED
    name = row.ticket.requester.name
    assert name.startswith("Dr Bartholomew") and len(name) == 150


def test_a_report_from_a_cc_cannot_silence_the_requester(make_ticket, agent, mailoutbox):
    ticket = make_ticket()  # opened on the web: the confirmation went to alice
    confirmation = OutboundEmail.objects.get(kind=OutboundKind.TICKET_CREATED)
    email_deliver(confirmation.pk)
    confirmation.refresh_from_db()
    ticket_add_ccs(ticket, [("Carol", "carol@example.net")], actor=agent)
    ticket_update_by_agent(ticket, agent=agent, body="Here is the fix.")
    cc_email = OutboundEmail.objects.get(kind=OutboundKind.AGENT_REPLY_CC)
    email_deliver(cc_email.pk)
    sent_to_carol = mailoutbox[-1].message()

    # Carol never sees the Message-ID of an e-mail sent to Alice...
    assert confirmation.message_id not in str(sent_to_carol["References"] or "")
    assert confirmation.message_id not in str(sent_to_carol["In-Reply-To"] or "")
    # ...and a report that names nobody stops no one's mail.
    report = raw_message(
        sender="postmaster@evil.example",
        subject="Undelivered Mail Returned to Sender",
        body=f"Your message <{confirmation.message_id}> could not be delivered.\r\n".encode(),
        message_id="<fake-bounce@evil.example>",
    )
    ingest(report, source="test")

    assert not EmailSuppression.objects.exists()
    confirmation.refresh_from_db()
    assert confirmation.status == OutboundStatus.SENT


def test_a_second_delivery_of_a_stuck_message_is_read_from_the_stored_bytes():
    # Stored under the key used before keys held the content digest ("mid:<id>").
    original = raw_message(subject="The real one", message_id="<same-id@example.net>")
    # Stored by the release that kept the bytes in the row (mail 0016's legacy_raw).
    row = InboundEmail.objects.create(
        dedup_key="mid:same-id@example.net", sha256=hashlib.sha256(original).hexdigest(), legacy_raw=original,
        size=len(original), source="test", message_id="same-id@example.net",
    )  # fmt: skip
    relayed = b"Received: from mx2.example.net by mx.comptoir.localhost; Tue, 3 Jun 2025 10:01:00 +0200\r\n" + original

    again = ingest(relayed, source="test")

    row.refresh_from_db()
    assert again.pk == row.pk
    assert row.status == InboundStatus.PROCESSED
    assert row.ticket.subject == "The real one"
    assert InboundEmail.objects.count() == 1


def test_messages_left_received_are_processed_by_the_periodic_job():
    raw = raw_message(message_id="<stuck@example.net>")
    row = stored_inbound_email(
        raw, dedup_key="mid:stuck@example.net", source="imap:support", message_id="stuck@example.net"
    )
    assert ingest_stuck() == 0  # too recent: its own worker may still be on it
    InboundEmail.objects.filter(pk=row.pk).update(received_at=timezone.now() - timedelta(minutes=30))

    assert ingest_stuck() == 1

    row.refresh_from_db()
    assert row.status == InboundStatus.PROCESSED
    assert row.ticket.messages.count() == 1


def test_accepting_an_out_of_office_for_a_closed_ticket_answers_no_robot(make_ticket, agent):
    ticket = make_ticket()
    ticket_set_status(ticket, Status.CLOSED, actor=agent)
    OutboundEmail.objects.all().delete()
    out_of_office = raw_message(sender=ALICE, message_id="<ooo@example.org>", headers=["Auto-Submitted: auto-replied"])
    row = ingest(to_reply_address(out_of_office, ticket), source="test")
    assert row.quarantine_kind == QuarantineKind.AUTO_REPLY_CLOSED

    quarantine_accept(row, agent=agent)

    follow_up = Ticket.objects.get(follow_up_of=ticket)
    assert follow_up.messages.count() == 1
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("local", ["support+1001.\u017f" + "a" * 25, "support+\u0661\u0660\u0660\u0661." + "a" * 26])
def test_non_ascii_look_alikes_in_a_reply_address_are_not_ours_and_crash_nothing(local):
    address = f"{local}@comptoir.localhost"
    assert check_reply_address(address).check is Check.NOT_OURS
    # An internationalised header (RFC 6532), as some servers pass on.
    raw = raw_message(message_id="<lookalike@example.net>", headers=["Cc: LOOKALIKE"])
    raw = raw.replace(b"LOOKALIKE", address.encode())
    assert ingest(raw, source="test").status == InboundStatus.PROCESSED


def test_a_different_message_reusing_a_message_id_is_kept_and_quarantined_not_dropped():
    first = ingest(raw_message(subject="First", message_id="<reused@example.net>"), source="test")
    second_raw = raw_message(subject="Second", body=b"Other words.\r\n", message_id="<reused@example.net>")

    again = ingest(second_raw, source="imap:support")

    assert again.pk != first.pk, "a second, different message under a known Message-ID was dropped with its bytes"
    stored = InboundEmail.objects.get(pk=again.pk)
    assert bytes(stored.raw) == second_raw
    assert (stored.status, stored.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.REUSED_MESSAGE_ID)
    assert "reused@example.net" in stored.quarantine_reason
    assert f"inbound e-mail {first.pk}" in stored.quarantine_reason
    assert (stored.from_address, stored.subject) == ("bob@example.net", "Second")
    with translation.override("en"):  # whatever language an earlier test left active
        assert str(QuarantineKind.REUSED_MESSAGE_ID.label) == "Reuses the Message-ID of an earlier, different message"
    # Acted on once: the first message's ticket, nothing for the second.
    assert Ticket.objects.get().subject == "First"
    assert OutboundEmail.objects.count() == 1
    # Either delivered again is still one row each.
    assert ingest(second_raw, source="test").pk == again.pk
    assert ingest(raw_message(subject="First", message_id="<reused@example.net>"), source="test").pk == first.pk
    assert InboundEmail.objects.count() == 2
