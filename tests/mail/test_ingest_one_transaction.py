"""A message's row is inserted and acted on in one transaction: what a failure half way leaves.

Nothing written for the message outlives a failure after its row was inserted (the
ticket, its message, the backbone's deliveries roll back with the row); the row is
then written again on its own, with its stored bytes: "received" for a retry when the
database failed, quarantined when it refused a value or our code broke.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import DataError, OperationalError

from comptoir.events.models import EventDelivery
from comptoir.gateway import inbound
from comptoir.gateway.inbound import TemporaryFailure, ingest
from comptoir.mail.models import InboundEmail, InboundStatus, QuarantineKind
from comptoir.mail.raw_store import raw_read
from comptoir.mail.timelimit import TimeLimitExceeded
from comptoir.tickets.models import Message, Ticket
from tests.mail.test_ingest import raw_message

pytestmark = pytest.mark.django_db


def failing_after_the_ticket(error: Exception):
    def processed(*args, **kwargs):
        raise error

    return processed


def test_a_database_failure_after_the_ticket_was_written_leaves_no_half_ticket_and_the_row_received(monkeypatch):
    raw = raw_message(message_id="<half@example.net>")
    monkeypatch.setattr(inbound, "_processed", failing_after_the_ticket(OperationalError("connection lost")))

    with pytest.raises(TemporaryFailure):
        ingest(raw, source="stdin")

    row = InboundEmail.objects.get()
    assert (row.status, row.ticket_id, row.quarantine_kind) == (InboundStatus.RECEIVED, None, "")
    assert raw_read(row) == raw
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()
    assert not EventDelivery.objects.exists()

    monkeypatch.undo()
    again = ingest(raw, source="stdin")

    assert (again.pk, again.status) == (row.pk, InboundStatus.PROCESSED)
    assert Ticket.objects.count() == 1


def test_a_value_the_database_refuses_quarantines_the_row_and_rolls_back_its_ticket(monkeypatch):
    raw = raw_message(message_id="<refused@example.net>")
    monkeypatch.setattr(inbound, "_processed", failing_after_the_ticket(DataError("value too long")))

    row = ingest(raw, source="stdin")

    stored = InboundEmail.objects.get()
    assert stored.pk == row.pk
    assert (stored.status, stored.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.FAILED)
    assert "the database refused a value: value too long" in stored.quarantine_reason
    assert (stored.ticket_id, stored.from_address) == (None, "bob@example.net")
    assert raw_read(stored) == raw
    assert not Ticket.objects.exists()
    assert not EventDelivery.objects.exists()


def test_a_message_too_slow_to_read_is_stored_quarantined_in_the_one_write(monkeypatch):
    def too_slow(raw: bytes):
        raise TimeLimitExceeded

    monkeypatch.setattr(inbound, "parse_email", too_slow)
    raw = raw_message(message_id="<slow@example.net>")

    row = ingest(raw, source="stdin")

    stored = InboundEmail.objects.get()
    assert stored.pk == row.pk
    assert (stored.status, stored.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.TOO_SLOW)
    assert raw_read(stored) == raw
    assert not Ticket.objects.exists()


def test_the_same_message_delivered_twice_is_acted_on_once():
    raw = raw_message(message_id="<twice@example.net>")

    first = ingest(raw, source="stdin")
    second = ingest(raw, source="imap:support")

    assert second.pk == first.pk
    assert (InboundEmail.objects.count(), Ticket.objects.count(), Message.objects.count()) == (1, 1, 1)


def test_a_commit_that_failed_half_way_but_kept_the_row_keeps_its_file(monkeypatch):
    # The connection is lost during COMMIT: the row was committed, but we are told it failed.
    raw = raw_message(message_id="<kept-anyway@example.net>")
    atomic = inbound.transaction.atomic
    depth = [0]
    lost = []

    @contextlib.contextmanager
    def committed_then_lost(*args, **kwargs):
        depth[0] += 1
        try:
            with atomic(*args, **kwargs):
                yield
        finally:
            depth[0] -= 1
        # The outermost block that wrote the row: its COMMIT went through, its answer did not.
        if depth[0] == 0 and not lost and InboundEmail.objects.exists():
            lost.append(True)
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(inbound.transaction, "atomic", committed_then_lost)

    with pytest.raises(TemporaryFailure):
        ingest(raw, source="stdin")

    # Written again, the row met itself (its dedup key): the file it names is the only copy, and stays.
    row = InboundEmail.objects.get()
    assert row.status == InboundStatus.PROCESSED
    assert raw_read(row) == raw
