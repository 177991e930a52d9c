"""Migration rules/0002 fills the clocks of the tickets not closed, in one statement, as the subscriber keeps them."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from comptoir.rules.models import TicketClock
from comptoir.tickets.models import Status, Ticket
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent

pytestmark = pytest.mark.django_db

migration = importlib.import_module("comptoir.rules.migrations.0002_automations_assignment")

COLUMNS = ("ticket_id", "status", "status_since", "requester_message_at", "agent_message_at")


def clocks() -> list[tuple]:
    return list(TicketClock.objects.order_by("ticket_id").values_list(*COLUMNS))


def test_the_backfill_writes_the_clocks_the_subscriber_keeps_in_one_statement(
    make_ticket, agent, django_assert_num_queries
):
    fresh = make_ticket()  # created only: its status since its creation, the requester's first message
    replied = make_ticket()
    ticket_update_by_agent(replied, agent=agent, body="Could you send the file?", status=Status.PENDING)
    ticket_reply_by_requester(ticket=replied, body="Here it is.", channel="web")  # reopens it
    noted = make_ticket()
    ticket_update_by_agent(noted, agent=agent, body="Internal only.", is_public=False, status=Status.ON_HOLD)
    closed = make_ticket()
    ticket_update_by_agent(closed, agent=agent, body="Done.", status=Status.SOLVED)
    Ticket.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    kept = [row for row in clocks() if row[0] != closed.pk]
    assert [row[0] for row in kept] == [fresh.pk, replied.pk, noted.pk]
    assert None not in kept[1]  # a history to read: every time is set
    assert kept[2][4] is None  # a note is no reply
    TicketClock.objects.all().delete()

    with django_assert_num_queries(1):  # the INSERT ... SELECT
        migration.clocks_backfill(apps, connection.schema_editor())

    assert clocks() == kept  # the closed ticket has no clock


def test_the_backfill_leaves_a_clock_already_written(make_ticket):
    ticket = make_ticket()
    TicketClock.objects.filter(ticket=ticket).update(status=Status.PENDING)

    migration.clocks_backfill(apps, connection.schema_editor())

    assert TicketClock.objects.get(ticket=ticket).status == Status.PENDING
