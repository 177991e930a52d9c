"""A requester's ``updated_at`` is the last public update, as "My tickets" shows it: an internal note leaks nothing.

Issue 18. The ticket's own ``updated_at`` moves with every change, internal
notes and agent-only fields included; a requester reading it (or sorting or
filtering by it) would learn that something they may not read happened, and
when.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.utils.dateparse import parse_datetime

from comptoir.portal.selectors import requester_tickets
from comptoir.tickets.models import EventKind, Message, Ticket, TicketEvent
from tests.api.conftest import People, token_for

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def set_history(ticket: Ticket, *, public_at: datetime, note_at: datetime) -> None:
    """Opened, answered in public and its status last set at ``public_at``; its note written at ``note_at``."""
    Ticket.objects.filter(pk=ticket.pk).update(created_at=public_at, updated_at=note_at)
    Message.objects.filter(ticket=ticket, is_public=True).update(created_at=public_at)
    Message.objects.filter(ticket=ticket, is_public=False).update(created_at=note_at)
    TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).update(created_at=public_at)


def read_time(response, field: str = "updated_at") -> datetime:
    assert response.status_code == 200, response.content
    value = parse_datetime(response.json()[field])
    assert value is not None
    return value


def test_a_requester_reads_the_public_update_where_an_agent_reads_the_last_change(api, people: People):
    ticket = people.ticket_a
    set_history(ticket, public_at=T0, note_at=T0 + timedelta(hours=5))
    path = f"/api/v1/tickets/{ticket.reference}/"

    requester_sees = read_time(api("get", path, token_for(people.requester_a)))
    agent_sees = read_time(api("get", path, token_for(people.agent)))

    assert (requester_sees, agent_sees) == (T0, T0 + timedelta(hours=5))
    # The same time "My tickets" shows.
    assert requester_tickets(user=people.requester_a, key="all").get(pk=ticket.pk).last_update == requester_sees


def test_a_public_reply_moves_the_requester_s_update(api, people: People):
    ticket = people.ticket_a
    set_history(ticket, public_at=T0, note_at=T0 + timedelta(hours=5))
    token = token_for(people.requester_a)
    assert api("post", f"/api/v1/tickets/{ticket.reference}/messages/", token, {"body": "Any news?"}).status_code == 201

    seen = read_time(api("get", f"/api/v1/tickets/{ticket.reference}/", token))

    assert seen > T0 + timedelta(hours=5)
    assert seen == Message.objects.filter(ticket=ticket).latest("created_at").created_at


def test_the_requester_s_list_shows_orders_and_filters_by_the_public_update(api, people: People, make_ticket):
    older = people.ticket_a
    newer = make_ticket(email="alice@example.org", subject="Second question")
    set_history(older, public_at=T0, note_at=T0 + timedelta(days=3))
    set_history(newer, public_at=T0 + timedelta(days=1), note_at=T0 + timedelta(days=1))
    token = token_for(people.requester_a)

    listed = api("get", "/api/v1/tickets/?status=unsolved", token).json()["results"]
    by_agent = api("get", "/api/v1/tickets/?requester=alice@example.org", token_for(people.agent)).json()["results"]

    # Newest public update first: the internal note does not bring the older ticket up, as it does for agents.
    assert [row["reference"] for row in listed] == [newer.reference, older.reference]
    assert [parse_datetime(row["updated_at"]) for row in listed] == [T0 + timedelta(days=1), T0]
    assert [row["reference"] for row in by_agent] == [older.reference, newer.reference]
    # "updated>" reads the public update too: the note's day finds nothing.
    after = quote(f"updated>{(T0 + timedelta(days=2)).date().isoformat()}")
    assert api("get", f"/api/v1/tickets/?q={after}", token).json()["results"] == []
    on_day = quote(f"updated:{T0.date().isoformat()}")
    assert [row["reference"] for row in api("get", f"/api/v1/tickets/?q={on_day}", token).json()["results"]] == [
        older.reference
    ]


def test_the_requester_s_pages_follow_the_public_update(api, people: People, make_ticket):
    tickets = [people.ticket_a] + [make_ticket(email="alice@example.org", subject=f"Question {n}") for n in range(3)]
    for n, ticket in enumerate(tickets):
        # The notes in reverse order: paging by updated_at would read them backwards.
        set_history(ticket, public_at=T0 + timedelta(hours=n), note_at=T0 + timedelta(days=10 - n))
    token = token_for(people.requester_a)

    read: list[int] = []
    link: str | None = "/api/v1/tickets/?limit=1"
    while link:
        page = api("get", link, token).json()
        read += [row["reference"] for row in page["results"]]
        link = page["next"]

    assert read == [ticket.reference for ticket in reversed(tickets)]
