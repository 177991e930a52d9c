"""Ingesting a message runs a fixed number of statements: a reply, and a new ticket.

Counted: the SELECT, INSERT, UPDATE and DELETE statements, not the savepoints
(in a test everything runs inside the test's transaction; in production the
outermost block is a BEGIN and a COMMIT). What the event backbone's worker does
afterwards (the notifications) is counted apart, as a worker runs it.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import tests.conftest
from comptoir.events.dispatch import dispatch_ticket
from comptoir.gateway.inbound import ingest
from comptoir.mail.addressing import reply_address
from comptoir.mail.models import InboundStatus
from tests.mail.test_ingest import raw_message

pytestmark = pytest.mark.django_db


def statements(captured: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}
    ]


@pytest.fixture
def handed_on(monkeypatch) -> list[int]:
    """The tickets the write handed to the backbone, kept for the test to dispatch as the worker would."""
    owed: list[int] = []
    monkeypatch.setattr(tests.conftest, "dispatch_ticket", owed.append)
    return owed


# A reply by our signed reply address, in one transaction (the row is inserted and acted on together,
# so no other worker can see it, and it is not locked): 1 the earlier copy looked for (dedup key),
# 2 the raw message's row inserted, 3 the ticket its reply address names, locked with its requester
# and assignee (the reply service does not read it again), 4 the message, 5 its event, 6 the
# backbone's delivery, 7 the ticket's update time, 8 the row marked processed. Its requester is
# nobody's CC: whether the sender was copied from an e-mail's headers is asked only of someone else
# (comptoir.gateway.senders.standing). Was 9 with the row committed first, then locked by its status.
REPLY_STATEMENTS = 8
# A new ticket: 1 dedup, 2 stored, 3 whether its sender is blocked (comptoir.tickets.blocks),
# 4 the person looked for, 5 created, 6 and 7 their e-mail address looked for and recorded (as
# sign-up would), 8 the ticket, 9 its message, 10 its event, 11 the backbone's delivery, 12 the
# row marked processed. Was 13, with the row's lock.
NEW_TICKET_STATEMENTS = 12
# The worker, for the new ticket, each subscriber in turn (its delivery claimed first, marked done
# last, then the next one looked for: three statements each). The e-mails: 1 the subscribers owed,
# 2 claimed, 3 the change's events, 4 the requester's e-mail preferences, 5 the suppression list, 6 and
# 7 the loop caps (e-mails to that address in the last hour, to that ticket), 8 the confirmation queued,
# 9 done, 10 the next; the reports' rollups (comptoir.reports): 11 claimed, 12 the change's events
# (a new ticket's figures come from its creation change: no replay of its events, surveys or tags),
# 13 the ticket, 14 its facts (none yet), 15 the day's rollup (one upsert), 16 the backlog's total
# (one upsert: the ticket entered the backlog), 17 the team rollup (one upsert), 18 its facts written,
# 19 done, 20 the next; the business rules (comptoir.rules): 21 claimed, 22 the change's events, 23 the
# ticket's clock written (what automations count time from), 24 the active triggers, 25 done, 26 the
# next; the service-level clocks (comptoir.sla): 27 claimed, 28 the change's events, 29 the policies,
# 30 the ticket's clocks, 31 done, 32 the next; the webhooks (comptoir.webhooks): 33 claimed, 34 the
# change's events, 35 the webhooks that are on (none here), 36 done, 37 the next.
WORKER_STATEMENTS = 37


def test_a_reply_runs_a_fixed_number_of_statements(make_ticket, handed_on):
    ticket = make_ticket()
    handed_on.clear()
    raw = raw_message(sender="Alice Martin <alice@example.org>", body=b"Still broken.\r\n", message_id="<r@x>")
    raw = raw.replace(b"To: support@comptoir.localhost", f"To: {reply_address(ticket.reference)}".encode())

    with CaptureQueriesContext(connection) as captured:
        row = ingest(raw, source="test")

    assert (row.status, row.ticket) == (InboundStatus.PROCESSED, ticket)
    assert len(statements(captured)) == REPLY_STATEMENTS, "\n".join(statements(captured))
    assert handed_on == [ticket.pk]


def test_a_new_ticket_runs_a_fixed_number_of_statements_and_its_confirmation_is_the_worker_s(handed_on):
    raw = raw_message(sender="Zoe <zoe@example.net>", body=b"Help.\r\n", message_id="<n@x>")

    with CaptureQueriesContext(connection) as captured:
        row = ingest(raw, source="test")

    assert row.status == InboundStatus.PROCESSED
    assert len(statements(captured)) == NEW_TICKET_STATEMENTS, "\n".join(statements(captured))
    assert handed_on == [row.ticket_id]
    with CaptureQueriesContext(connection) as worker:
        dispatch_ticket(row.ticket_id)
    assert row.ticket.outbound_emails.count() == 1
    assert len(statements(worker)) == WORKER_STATEMENTS, "\n".join(statements(worker))
