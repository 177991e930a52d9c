"""The workspace pages run a fixed number of queries, whatever the number of rows or messages."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Channel, SupportGroup, Ticket
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent
from comptoir.workspace import selectors
from tests.conftest import png_attachment

pytestmark = pytest.mark.django_db

VIEW_COUNTS_SQL = re.compile(r"COUNT\([^)]*\)\s*FILTER\s*\(WHERE|COUNT\(CASE WHEN", re.I)


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def captured_get(client, address: str, expected_rows: str, count: int) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    assert response.content.decode().count(expected_rows) == count
    return captured


@pytest.fixture
def agents(db) -> list[User]:
    return [User.objects.create_user(f"agent{n}@example.com", name=f"Agent {n}", role=Role.AGENT) for n in range(3)]


@pytest.fixture
def groups(db) -> list[SupportGroup]:
    return [SupportGroup.objects.create(name=f"Group {n}") for n in range(3)]


def busy_ticket(make_ticket, n: int, agents: list[User], groups: list[SupportGroup]) -> Ticket:
    """A ticket with an assignee, a group, a reply, a note and a requester's answer."""
    ticket = make_ticket(email=f"person{n}@example.org", subject=f"Problem {n}")
    agent = agents[n % len(agents)]
    ticket_update_by_agent(ticket, agent=agent, assignee=agent, group=groups[n % len(groups)], body="Looking.")
    ticket_update_by_agent(ticket, agent=agent, body="Checked the logs.", is_public=False)
    ticket_reply_by_requester(ticket=ticket, body="Thanks", channel=Channel.WEB)
    return ticket


# The list, whatever the number of rows: 1 session, 2 the signed-in agent, 3 the agents of
# the assignee filter, 4 the groups of the group filter, 5 the paginator's count, 6 the views'
# counts (one aggregate), 7 the quarantine count in the tabs, 8 and 9 the agent's own then
# groups' permissions (the header's "Articles" link, editor.edit_articles), 10 the page's rows
# with requester, assignee and group joined and the last public speaker as a subquery. The
# security policy is read from the cache (tests/conftest.py), so it costs no query. Nothing in
# comptoir/workspace/selectors.py depends on connection.vendor: the views' counts are one
# COUNT(...) FILTER (WHERE ...) query on SQLite and PostgreSQL alike, so both run 10.
LIST_QUERIES = 10


def pinned_get(client, django_assert_num_queries, address: str, expected_rows: str, count: int, queries: int):
    with django_assert_num_queries(queries):
        response = client.get(address)
    assert response.status_code == 200
    assert response.content.decode().count(expected_rows) == count


def test_it_lists_one_row_and_25_rows_with_the_same_queries(
    client, agent, agents, groups, make_ticket, django_assert_num_queries
):
    client.force_login(agent)
    address = url("agent_tickets") + "?view=all"
    busy_ticket(make_ticket, 0, agents, groups)
    pinned_get(client, django_assert_num_queries, address, '<span class="ref">', 1, LIST_QUERIES)
    for n in range(1, 25):
        busy_ticket(make_ticket, n, agents, groups)
    pinned_get(client, django_assert_num_queries, address, '<span class="ref">', 25, LIST_QUERIES)


def test_it_counts_every_view_in_one_query(agent, agents, make_ticket):
    make_ticket()
    mine = make_ticket()
    ticket_update_by_agent(mine, agent=agent, assignee=agent, status="on_hold")

    with CaptureQueriesContext(connection) as captured:
        counts = selectors.view_counts(agent)

    print(f"\nview counts: {len(captured)} query")
    assert len(captured) == 1
    assert counts == {"unassigned": 1, "mine": 1, "open": 1, "pending": 0, "on_hold": 1, "solved": 0, "all": 2}


def test_it_runs_one_aggregate_for_the_view_counts_on_the_list(client, agent, make_ticket):
    make_ticket()
    client.force_login(agent)

    captured = captured_get(client, url("agent_tickets"), '<span class="ref">', 1)

    aggregates = [q["sql"] for q in captured.captured_queries if VIEW_COUNTS_SQL.search(q["sql"])]
    print(f"\nagent list: {len(captured)} queries, {len(aggregates)} of them the views' aggregate")
    assert len(aggregates) == 1
    # Every view is a column of that one query ("all" counts without a filter).
    assert aggregates[0].upper().count("COUNT(") == len(selectors.VIEWS)
    assert all(f'AS "{view.key}"' in aggregates[0] for view in selectors.VIEWS)


# The agent's ticket page, whatever the number of messages and attachments: 1 session, 2 the
# signed-in agent, 3 the ticket with requester and organisation, assignee, group and followed-up
# ticket joined, 4 the active macros (expanded in the view), 5 and 6 the agent's own then groups'
# permissions (the header's "Articles" link), 7 the messages with their authors, 8 their
# attachments (one prefetch), 9 the agents of the assignee field, 10 the groups of the group
# field, 11 the organisations of the requester's form, 12 the CCs, 13 the delivery problems,
# 14 the requester's other tickets, 15 the answered surveys, 16 the events with their actors.
# Same count on PostgreSQL: there the fields' agents and groups (9, 10) are read through a
# server-side cursor, still one DECLARE ... CURSOR each.
TICKET_PAGE_QUERIES = 16


def test_it_shows_a_ticket_with_one_message_and_with_50_with_the_same_queries(
    client, agent, make_ticket, django_assert_num_queries
):
    client.force_login(agent)
    small = make_ticket()
    big = make_ticket(files=[png_attachment("first.png")])
    for n in range(49):
        files = [png_attachment(f"s{n}.png")] if n % 5 == 0 else []
        if n % 3 == 0:
            ticket_reply_by_requester(ticket=big, body=f"Requester {n}", channel=Channel.WEB, files=files)
        else:
            ticket_update_by_agent(big, agent=agent, body=f"Agent {n}", is_public=n % 2 == 0, files=files)
    assert big.attachments.count() == 11
    assert big.messages.filter(is_public=False).count() > 0

    message = '<li class="message '
    pinned_get(client, django_assert_num_queries, url("agent_ticket", small.reference), message, 1, TICKET_PAGE_QUERIES)
    pinned_get(client, django_assert_num_queries, url("agent_ticket", big.reference), message, 50, TICKET_PAGE_QUERIES)
