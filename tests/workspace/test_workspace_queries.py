"""The workspace pages run a fixed number of queries, whatever the number of rows or messages."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.mail.models import OutboundEmail, OutboundKind, OutboundStatus
from comptoir.sla.models import Metric
from comptoir.ticketforms.models import FieldKind, FieldValue, TicketField
from comptoir.tickets.models import Channel, Priority, Status, SupportGroup, Survey, Ticket
from comptoir.tickets.satisfaction import survey_answer
from comptoir.tickets.services import (
    ticket_add_ccs,
    ticket_reply_by_requester,
    ticket_set_status,
    ticket_update_by_agent,
)
from comptoir.workspace import selectors
from tests.conftest import png_attachment
from tests.sla.conftest import policy_make

pytestmark = pytest.mark.django_db


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


# The list, whatever the number of rows or the page: 1 session, 2 the signed-in agent with their
# permission (the header's "Articles" link, editor.edit_articles, given to them or to a group:
# comptoir/editor/backends.py), 3 the agents of the assignee filter, 4 the groups of the group
# filter, 5 the saved views the agent sees (on a saved view's page, first: the view shown is read
# among them, no query of its own), 6 every count (the views', the quarantine's, the
# list's, each saved view's: one statement of capped subqueries, whatever their number), 7 the
# page's rows (one more than shown, to know whether a next page exists) with requester, assignee
# and group joined, the last public speaker, the next due clock and the tags' names as subqueries
# (comptoir.workspace.selectors.row_values; the tags were an eighth query, a prefetch). No paginator
# COUNT: pages are keyset pages.
# The security policy is read from the cache (tests/conftest.py), so it costs no query. The same
# on SQLite and PostgreSQL. The branding in the header comes from the cache too (comptoir.branding.selectors).
LIST_QUERIES = 7


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
    for n in range(1, 30):
        busy_ticket(make_ticket, n, agents, groups)
    pinned_get(client, django_assert_num_queries, address, '<span class="ref">', 25, LIST_QUERIES)
    filtered = address + f"&assignee={agents[0].pk}&sort=-priority"
    pinned_get(client, django_assert_num_queries, filtered, '<span class="ref">', 10, LIST_QUERIES)


def test_a_deep_page_runs_the_same_queries_as_the_first(client, agent, make_ticket, django_assert_num_queries):
    client.force_login(agent)
    for n in range(30):
        make_ticket(email=f"p{n}@example.org")
    first = client.get(url("agent_tickets") + "?view=all").content.decode()
    after = re.search(r'rel="next" href="\?([^"]+)"', first)
    assert after is not None

    address = url("agent_tickets") + "?" + after.group(1).replace("&amp;", "&")
    pinned_get(client, django_assert_num_queries, address, '<span class="ref">', 5, LIST_QUERIES)


def test_it_counts_every_view_the_quarantine_and_the_list_in_one_query(agent, make_ticket):
    make_ticket()
    mine = make_ticket()
    ticket_update_by_agent(mine, agent=agent, assignee=agent, status="on_hold")
    listed = selectors.ticket_rows("all", agent, {"status": "on_hold"})
    views = [Ticket.objects.filter(selectors.view_filter(view.key, agent)) for view in selectors.VIEWS]

    with CaptureQueriesContext(connection) as captured:
        counts = selectors.workspace_counts(listed, views)

    assert len(captured) == 1
    assert {view.key: tally.value for view, tally in zip(selectors.VIEWS, counts.saved, strict=True)} == {
        "unassigned": 1,
        "mine": 1,
        "open": 1,
        "pending": 0,
        "on_hold": 1,
        "solved": 0,
        "all": 2,
        "spam": 0,
        "breaching": 0,  # no service-level policy here
    }
    assert (counts.quarantined.value, counts.listed.value) == (0, 1)
    # Each count stops at the cap: a subquery with a LIMIT, which an index serves without reading the rest.
    sql = captured.captured_queries[0]["sql"].upper()
    assert sql.count("COUNT(*)") == len(selectors.VIEWS) + 2
    assert sql.count(f"LIMIT {selectors.COUNT_CAP + 1}") == len(selectors.VIEWS) + 2


# The agent's ticket page, whatever the number of messages and attachments: 1 session, 2 the
# signed-in agent with their permission (the header's "Articles" link), 3 the ticket with
# requester and organisation, assignee and group joined (the tickets it follows up and was merged
# into are linked by number, from its own row: no join), its message count, whether the agent
# follows it and whether each optional card has anything to show (selectors.panels_shown), 4 its
# tags (one prefetch), 5 the messages with their authors, 6 their attachments (one prefetch),
# 7 the agents the assignee's select offers, 8 the groups of the group's (each a statement compiled
# once, views._agents and views._groups, read as the selects are drawn), 9 the requester's other
# tickets, 10 the events with their actors and rules. Not on the page: the canned replies (fetched
# when the agent reaches for one) and the list of organisations (names suggested as the agent
# types). Same count on PostgreSQL.
TICKET_PAGE_QUERIES = 10
# A card with something to show costs one query more each, run only then: the CCs, the e-mails
# not delivered, the answered surveys, the ticket fields with this ticket's values (when any field
# is defined); the service-level clocks with their policies, and their pauses (one prefetch): two.
TICKET_PAGE_WITH_CLOCKS_QUERIES = TICKET_PAGE_QUERIES + 2
TICKET_PAGE_WITH_EVERY_CARD_QUERIES = TICKET_PAGE_QUERIES + 6
# A closed ticket's page shows its fields as text (only notes can be added): no select, so neither
# the agents nor the groups are read.
CLOSED_TICKET_PAGE_QUERIES = TICKET_PAGE_QUERIES - 2


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


def test_a_long_conversation_opens_on_its_first_and_latest_messages_with_the_same_queries(
    client, agent, make_ticket, django_assert_num_queries
):
    client.force_login(agent)
    ticket = make_ticket(description="The very first message.")
    for n in range(1, 60):
        ticket_update_by_agent(ticket, agent=agent, body=f"Agent {n}.", is_public=n % 2 == 0)
    message = '<li class="message '
    shown = selectors.CONVERSATION_SHOWN

    with django_assert_num_queries(TICKET_PAGE_QUERIES):
        page = client.get(url("agent_ticket", ticket.reference)).content.decode()
    assert page.count(message) == shown
    assert "The very first message." in page and "Agent 59." in page
    assert f"Agent {60 - shown}." not in page  # the newest of those left out
    assert f"Show the {60 - shown} earlier messages" in page

    with django_assert_num_queries(TICKET_PAGE_QUERIES):
        everything = client.get(url("agent_ticket", ticket.reference) + "?all=1").content.decode()
    assert everything.count(message) == 60
    assert "earlier messages" not in everything


def test_each_card_with_something_to_show_costs_one_query_and_shows_it(
    client, agent, make_ticket, django_assert_num_queries
):

    client.force_login(agent)
    policy_make("An hour", {(Metric.FIRST_REPLY, Priority.NORMAL): 60})
    ticket = make_ticket()
    ticket_add_ccs(ticket, [("Bob", "bob@example.org")], actor=agent)
    OutboundEmail.objects.create(
        kind=OutboundKind.AGENT_REPLY,
        ticket=ticket,
        to_address="gone@example.org",
        language="en",
        status=OutboundStatus.BOUNCED,
        last_error="550 no such user",
    )
    ticket_update_by_agent(ticket, agent=agent, body="Fixed.", status="solved")
    survey_answer(Survey.objects.get(ticket=ticket), rating=4, comment="Quick and kind")
    # Archived, so listed only because this ticket holds a value of it (the flag's second half).
    serial = TicketField.objects.create(key="serial", kind=FieldKind.TEXT, label_en="Serial number", archived=True)
    FieldValue.objects.create(ticket=ticket, field=serial, value="SN-4471", text="sn-4471")

    with django_assert_num_queries(TICKET_PAGE_WITH_EVERY_CARD_QUERIES):
        page = client.get(url("agent_ticket", ticket.reference)).content.decode()

    assert "bob@example.org" in page
    assert "E-mails not delivered" in page and "gone@example.org" in page and "550 no such user" in page
    satisfaction = page.split('id="satisfaction-title"')[1].split("</section>")[0]
    assert "4/5" in satisfaction and "Quick and kind" in satisfaction
    assert "Serial number" in page and "SN-4471" in page
    assert "Service level" in page and "First reply" in page


def test_a_ticket_with_nothing_in_its_cards_says_so_without_reading_them(
    client, agent, make_ticket, django_assert_num_queries
):

    client.force_login(agent)
    # Archived and held by no ticket: not listed, so the "Fields" card is not read.
    TicketField.objects.create(key="old", kind=FieldKind.TEXT, label_en="Old field", archived=True)
    ticket = make_ticket()

    with django_assert_num_queries(TICKET_PAGE_QUERIES):
        page = client.get(url("agent_ticket", ticket.reference)).content.decode()

    requester = page.split('id="requester-title"')[1].split("</section>")[0]
    assert "Nobody." in requester and "E-mails not delivered" not in requester
    assert "No rating yet." in page
    assert "Old field" not in page and 'id="fields-title"' not in page and "Service level" not in page


def test_a_follow_up_merged_into_another_links_both_by_number_with_the_same_queries(
    client, agent, make_ticket, django_assert_num_queries
):
    client.force_login(agent)
    # Other requesters': the "Other tickets" card would list the same requester's tickets by subject.
    closed = make_ticket(email="first@example.org", subject="The first one")
    kept = make_ticket(email="kept@example.org", subject="Where it went")
    ticket = make_ticket(subject="The follow-up")
    # The two links as a closed ticket's answer and a merge leave them; only the page is under test here.
    Ticket.objects.filter(pk=ticket.pk).update(follow_up_of=closed, merged_into=kept)

    with django_assert_num_queries(TICKET_PAGE_QUERIES):
        page = client.get(url("agent_ticket", ticket.reference)).content.decode()

    assert f'<a href="{url("agent_ticket", closed.reference)}">follow-up of #{closed.reference}</a>' in page
    assert f"Merged into #{kept.reference}." in page
    assert f'<a href="{url("agent_ticket", kept.reference)}">Open it</a>' in page
    # By number only: neither linked ticket's subject is read for the page.
    assert "The first one" not in page and "Where it went" not in page


def test_a_closed_ticket_s_page_reads_no_agent_nor_group_to_offer(
    client, agent, make_ticket, django_assert_num_queries
):
    client.force_login(agent)
    ticket = make_ticket()
    ticket_set_status(ticket, Status.CLOSED, actor=None)

    with django_assert_num_queries(CLOSED_TICKET_PAGE_QUERIES):
        page = client.get(url("agent_ticket", ticket.reference)).content.decode()

    assert 'name="assignee"' not in page and 'name="group"' not in page
    assert '<dl class="properties">' in page
