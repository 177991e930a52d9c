"""Agents see the clocks: the list's badge (at no query more), the ticket page's "Service level" card."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.sla.breaches import breaches_raise
from comptoir.sla.models import Metric
from comptoir.tickets.models import Priority, Status
from comptoir.tickets.services import ticket_set_status, ticket_update_by_agent
from comptoir.workspace.models import SavedView, Visibility, built_in_views_restore
from comptoir.workspace.rows import sla_badge
from tests.sla.clock import paris
from tests.sla.conftest import policy_make
from tests.workspace.test_workspace_queries import LIST_QUERIES, TICKET_PAGE_WITH_CLOCKS_QUERIES

pytestmark = pytest.mark.django_db

MONDAY_NINE = paris(2026, 6, 8, 9)


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def hour_policy(db):
    return policy_make(
        "An hour",
        {(Metric.FIRST_REPLY, Priority.NORMAL): 60, (Metric.RESOLUTION, Priority.NORMAL): 8 * 60},
        warn_minutes=15,
    )


@pytest.mark.parametrize(
    ("minutes", "state", "text"),
    [
        (0, "ok", "1 h 00 left"),
        (44, "ok", "16 min left"),
        (45, "warning", "due soon: 15 min left"),
        (95, "breached", "overdue 35 min"),
        (60 * 27, "breached", "overdue 1 d"),
    ],
)
def test_the_badge_says_in_words_what_its_colour_says(minutes, state, text):
    now = MONDAY_NINE + timedelta(minutes=minutes)
    due, warn = MONDAY_NINE + timedelta(hours=1), MONDAY_NINE + timedelta(minutes=45)
    with translation.override("en"):
        badge = sla_badge(due_at=due, warn_at=warn, breached_at=None, paused=False, now=now)
    assert (badge.state, badge.text) == (state, text)


def test_a_paused_clock_says_paused_and_a_breached_one_stays_red():
    due = MONDAY_NINE + timedelta(hours=1)
    with translation.override("en"):
        assert sla_badge(due_at=due, warn_at=None, breached_at=None, paused=True, now=MONDAY_NINE).text == "paused"
        late = sla_badge(due_at=due, warn_at=None, breached_at=due, paused=True, now=due + timedelta(minutes=5))
    assert (late.state, late.text) == ("breached", "overdue 5 min")


def test_the_list_shows_each_ticket_s_next_due_clock_at_no_query_more(
    client, agent, fake_now, hour_policy, make_ticket, django_assert_num_queries
):
    client.force_login(agent)
    _, pending, _ = (make_ticket(subject=f"Ticket {n}") for n in range(3))
    ticket_set_status(pending, Status.PENDING, actor=agent)
    fake_now.set(MONDAY_NINE + timedelta(minutes=50))
    breaches_raise(now=MONDAY_NINE + timedelta(minutes=50))
    fake_now.set(MONDAY_NINE + timedelta(minutes=70))

    with django_assert_num_queries(LIST_QUERIES):
        page = client.get(url("agent_tickets") + "?view=all").content.decode()

    assert page.count('class="sla sla-breached"') == 2  # the two running: first reply overdue
    assert page.count('class="sla sla-paused"') == 1
    assert "overdue 10 min" in page
    assert f'datetime="{(MONDAY_NINE + timedelta(hours=1)).isoformat()}"' in page


def test_the_list_shows_amber_in_the_warning_window(client, agent, fake_now, hour_policy, make_ticket):
    client.force_login(agent)
    make_ticket()
    fake_now.set(MONDAY_NINE + timedelta(minutes=50))

    page = client.get(url("agent_tickets") + "?view=all").content.decode()

    assert '<time class="sla sla-warning"' in page and "due soon: 10 min left" in page


def test_the_ticket_page_lists_each_target_and_what_became_of_it(
    client, agent, fake_now, hour_policy, make_ticket, django_assert_num_queries
):
    client.force_login(agent)
    ticket = make_ticket()
    fake_now.advance(minutes=20)
    ticket_update_by_agent(ticket, agent=agent, body="Looking into it.", status=Status.PENDING)

    with django_assert_num_queries(TICKET_PAGE_WITH_CLOCKS_QUERIES):
        page = client.get(url("agent_ticket", ticket.reference)).content.decode()

    assert "Service level" in page
    assert "First reply" in page and "met at" in page
    assert "Resolution" in page and "paused since" in page


def test_a_ticket_without_a_policy_has_no_card_and_no_badge(client, agent, make_ticket):
    client.force_login(agent)
    ticket = make_ticket()

    assert "Service level" not in client.get(url("agent_ticket", ticket.reference)).content.decode()
    assert 'class="sla ' not in client.get(url("agent_tickets") + "?view=all").content.decode()


def test_breaching_soon_lists_tickets_with_a_clock_counting_due_first(
    client, agent, fake_now, hour_policy, make_ticket, django_assert_num_queries
):
    client.force_login(agent)
    later = make_ticket(subject="Sent second")
    fake_now.advance(minutes=-30)
    sooner = make_ticket(subject="Sent first")
    paused = make_ticket(subject="Waiting on the customer")
    ticket_set_status(paused, Status.PENDING, actor=agent)
    make_ticket(subject="No target", priority=Priority.LOW)
    fake_now.advance(minutes=120)  # both late: still listed, the latest first due on top

    with django_assert_num_queries(LIST_QUERIES):
        page = client.get(url("agent_tickets") + "?view=breaching").content.decode()

    assert page.count('<span class="ref">') == 2
    assert page.index(f"#{sooner.reference}<") < page.index(f"#{later.reference}<")
    assert "Breaching soon" in page


def test_breaching_soon_is_a_built_in_shared_view(db):
    built_in_views_restore()
    view = SavedView.objects.get(key="breaching")
    assert (view.visibility, view.params, view.plain_built_in) == (Visibility.EVERYONE, "view=breaching", True)
    with translation.override("en"):
        assert view.label == "Breaching soon"
