"""Each clock keeps its pauses (paused from, resumed at), written with it, and the ticket page lists them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.sla.clock import Happening, Moment, Target, Terms, replay
from comptoir.sla.models import Metric, SlaPause, SlaPolicy
from comptoir.sla.selectors import ticket_targets
from comptoir.sla.services import ticket_sla_refresh
from comptoir.tickets.models import Priority, Status, Ticket
from comptoir.tickets.services import ticket_reply_by_requester, ticket_set_status, ticket_update_by_agent
from comptoir.workspace.sla_card import target_rows
from tests.sla.clock import office_week, paris
from tests.sla.conftest import policy_make
from tests.workspace.test_workspace_queries import TICKET_PAGE_WITH_CLOCKS_QUERIES

pytestmark = pytest.mark.django_db

MONDAY_NINE = paris(2026, 6, 8, 9)


@pytest.fixture
def hour_policy(db) -> SlaPolicy:
    """Calendar time, so that the policy's terms cost no schedule queries."""
    return policy_make(
        "An hour",
        {(Metric.FIRST_REPLY, Priority.NORMAL): 60, (Metric.RESOLUTION, Priority.NORMAL): 8 * 60},
        business_hours=False,
        warn_minutes=15,
    )


def pauses(ticket: Ticket, metric: str = Metric.RESOLUTION) -> list[tuple[object, object]]:
    rows = SlaPause.objects.filter(target__ticket=ticket, target__metric=metric)
    return list(rows.order_by("started_at").values_list("started_at", "ended_at"))


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def test_it_keeps_a_pause_with_when_it_began_and_ended(fake_now, hour_policy, make_ticket, agent):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 9, 20))
    ticket_set_status(ticket, Status.PENDING, actor=agent)
    assert pauses(ticket) == [(paris(2026, 6, 8, 9, 20), None)]  # going on

    fake_now.set(paris(2026, 6, 8, 10))
    ticket_set_status(ticket, Status.OPEN, actor=agent)

    assert pauses(ticket) == [(paris(2026, 6, 8, 9, 20), paris(2026, 6, 8, 10))]
    assert pauses(ticket, Metric.FIRST_REPLY) == [(paris(2026, 6, 8, 9, 20), paris(2026, 6, 8, 10))]


def test_it_keeps_every_pause_in_order_and_the_time_solved(fake_now, hour_policy, make_ticket, agent):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 9, 10))
    ticket_set_status(ticket, Status.PENDING, actor=agent)
    fake_now.set(paris(2026, 6, 8, 9, 30))
    ticket_reply_by_requester(ticket=ticket, body="Here is the log.", channel="web")  # back to open
    fake_now.set(paris(2026, 6, 8, 11))
    ticket_update_by_agent(ticket, agent=agent, body="Fixed.", status=Status.SOLVED)
    fake_now.set(paris(2026, 6, 8, 15))
    ticket_reply_by_requester(ticket=ticket, body="It broke again.", channel="web")

    assert pauses(ticket) == [
        (paris(2026, 6, 8, 9, 10), paris(2026, 6, 8, 9, 30)),
        (paris(2026, 6, 8, 11), paris(2026, 6, 8, 15)),  # solved, then reopened
    ]
    # The first reply was met at 11:00: it keeps the pause it had then.
    assert pauses(ticket, Metric.FIRST_REPLY) == [(paris(2026, 6, 8, 9, 10), paris(2026, 6, 8, 9, 30))]


def test_a_clock_stopped_while_paused_ends_its_pause_at_the_stop(fake_now, hour_policy, make_ticket, agent):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 9, 20))
    ticket_set_status(ticket, Status.PENDING, actor=agent)

    fake_now.set(paris(2026, 6, 8, 10))
    ticket_update_by_agent(ticket, agent=agent, priority=Priority.LOW)  # no target for low: the clocks stop

    assert pauses(ticket) == [(paris(2026, 6, 8, 9, 20), paris(2026, 6, 8, 10))]


def test_re_evaluation_replaces_the_pauses_the_new_terms_do_not_have(fake_now, hour_policy, make_ticket, agent):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 9, 20))
    ticket_set_status(ticket, Status.ON_HOLD, actor=agent)
    fake_now.set(paris(2026, 6, 8, 10))
    ticket_set_status(ticket, Status.OPEN, actor=agent)
    assert pauses(ticket) == [(paris(2026, 6, 8, 9, 20), paris(2026, 6, 8, 10))]

    SlaPolicy.objects.filter(pk=hour_policy.pk).update(pause_on_hold=False)
    fake_now.set(paris(2026, 6, 8, 10, 30))
    ticket_sla_refresh(Ticket.objects.select_related("requester").get(pk=ticket.pk))

    assert pauses(ticket) == []  # on hold no longer pauses: the clock ran


def test_refreshing_again_writes_no_pause_twice_at_a_fixed_number_of_queries(
    fake_now, hour_policy, make_ticket, agent, django_assert_num_queries
):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 9, 20))
    ticket_set_status(ticket, Status.PENDING, actor=agent)
    fake_now.set(paris(2026, 6, 8, 10))
    ticket_set_status(ticket, Status.OPEN, actor=agent)
    before = list(SlaPause.objects.order_by("id").values_list("id", "target_id", "started_at", "ended_at"))
    ticket = Ticket.objects.select_related("requester").get(pk=ticket.pk)

    # 1 savepoint, 2 the policies, 3 the history, 4 the policy's targets, 5 the ticket's clocks,
    # 6 their pauses, 7 the ticket's counted attainment (locked) and 8 its clocks' outcomes (none yet:
    # nothing to count, comptoir.sla.attainment), 9 savepoint released: nothing written.
    with django_assert_num_queries(9):
        ticket_sla_refresh(ticket)

    assert list(SlaPause.objects.order_by("id").values_list("id", "target_id", "started_at", "ended_at")) == before
    assert len(before) == 2  # first reply and resolution, one pause each


def test_a_resume_rewrites_the_pauses_of_the_clocks_it_changed_at_a_fixed_number_of_queries(
    fake_now, hour_policy, make_ticket, agent, django_assert_num_queries
):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 9, 20))
    ticket_set_status(ticket, Status.PENDING, actor=agent)
    fake_now.set(paris(2026, 6, 8, 10))
    # The status change alone, its subscribers not run: the refresh below is the one that writes.
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.OPEN)
    ticket.events.create(kind="status", old_value=Status.PENDING, new_value=Status.OPEN, actor=agent)
    ticket = Ticket.objects.select_related("requester").get(pk=ticket.pk)

    # 1 savepoint, 2 the policies, 3 the history, 4 the policy's targets, 5 the ticket's clocks,
    # 6 their pauses, 7 the clocks updated, 8 the ticket's next due time, 9 the open pauses
    # deleted, 10 the pauses written, 11 the ticket's counted attainment (locked) and 12 its clocks'
    # outcomes (none yet: nothing to count), 13 savepoint released.
    with django_assert_num_queries(13):
        ticket_sla_refresh(ticket)

    assert pauses(ticket) == [(paris(2026, 6, 8, 9, 20), paris(2026, 6, 8, 10))]
    assert SlaPause.objects.count() == 2


def test_the_ticket_page_lists_each_target_s_pauses(
    client, agent, fake_now, hour_policy, make_ticket, django_assert_num_queries
):
    client.force_login(agent)
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 9, 20))
    ticket_set_status(ticket, Status.PENDING, actor=agent)
    fake_now.set(paris(2026, 6, 8, 10))
    ticket_set_status(ticket, Status.OPEN, actor=agent)
    fake_now.set(paris(2026, 6, 8, 10, 15))
    ticket_set_status(ticket, Status.PENDING, actor=agent)

    with django_assert_num_queries(TICKET_PAGE_WITH_CLOCKS_QUERIES):
        page = client.get(url("agent_ticket", ticket.reference)).content.decode()

    assert page.count("paused from 8 Jun 2026, 09:20 to 8 Jun 2026, 10:00") == 2  # first reply, resolution
    # The pause going on is the state's words, not said twice.
    assert page.count("paused since 8 Jun 2026, 10:15") == 2


def test_the_card_says_since_when_a_late_clock_is_paused(fake_now, hour_policy, make_ticket, agent):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 11))  # the first reply was due at 10:00
    ticket_set_status(ticket, Status.PENDING, actor=agent)
    targets = ticket_targets(ticket.pk)
    for target in targets:
        target.breached_at = paris(2026, 6, 8, 10)

    with translation.override("fr"):
        first, _resolution = target_rows(targets, paris(2026, 6, 8, 12))

    assert first.state == "breached"
    assert first.pauses == ("en pause depuis le 8 juin 2026, 11:00",)


def test_replay_lists_the_pauses_of_each_clock():
    terms = Terms(targets={Metric.RESOLUTION: Target(minutes=8 * 60, schedule=office_week())})
    history = [
        Happening(Moment.CREATED, MONDAY_NINE),
        Happening(Moment.STATUS, MONDAY_NINE + timedelta(hours=1), status=Status.PENDING),
        Happening(Moment.STATUS, MONDAY_NINE + timedelta(hours=2), status=Status.ON_HOLD),  # still paused
        Happening(Moment.STATUS, MONDAY_NINE + timedelta(hours=3), status=Status.OPEN),
        Happening(Moment.STATUS, MONDAY_NINE + timedelta(hours=4), status=Status.PENDING),
    ]

    (resolution,) = replay(history, terms)

    assert resolution.periods == (
        (MONDAY_NINE + timedelta(hours=1), MONDAY_NINE + timedelta(hours=3)),
        (MONDAY_NINE + timedelta(hours=4), None),
    )
