"""The SLA subscriber: tickets' clocks follow their events, handed over after each write (tests/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comptoir.events.models import DeliveryState, EventDelivery
from comptoir.rules.models import Rule
from comptoir.sla.models import Metric, TicketSla
from comptoir.sla.subscriber import sla_clocks_follow
from comptoir.tickets.merging import tickets_merge
from comptoir.tickets.models import Priority, Status, SupportGroup
from comptoir.tickets.services import (
    ticket_mark_spam,
    ticket_reply_by_requester,
    ticket_set_status,
    ticket_update_by_agent,
)
from tests.sla.clock import paris
from tests.sla.conftest import OFFICE_TARGETS, clock_of, clocks, policy_make

pytestmark = pytest.mark.django_db


def test_a_new_ticket_gets_its_first_reply_and_resolution_clocks_on_the_policy_s_business_hours(
    fake_now, office_policy, make_ticket
):
    fake_now.set(paris(2026, 6, 5, 17))  # Friday evening

    ticket = make_ticket()

    assert set(clocks(ticket)) == {(Metric.FIRST_REPLY, 0), (Metric.RESOLUTION, 0)}
    first = clock_of(ticket, Metric.FIRST_REPLY)
    assert first.policy == office_policy
    assert first.started_at == paris(2026, 6, 5, 17)
    # One hour on Friday, three on Monday morning (docs/sla.md).
    assert first.due_at == paris(2026, 6, 8, 12)
    assert first.warn_at == paris(2026, 6, 8, 11)
    assert clock_of(ticket, Metric.RESOLUTION).due_at == paris(2026, 6, 9, 17)
    delivery = EventDelivery.objects.get(subscriber="sla")
    assert delivery.state == DeliveryState.DONE


def test_a_ticket_no_policy_matches_has_no_clocks(fake_now, office, make_ticket):
    billing = SupportGroup.objects.create(name="Billing")
    policy_make("Billing only", OFFICE_TARGETS, schedule=office, group=billing)

    ticket = make_ticket()

    assert not TicketSla.objects.filter(ticket=ticket).exists()


def test_a_ticket_a_robot_opened_is_promised_nothing(fake_now, office_policy, make_ticket):
    ticket = make_ticket(automatic=True)

    assert clocks(ticket) == {}


def test_the_first_public_agent_reply_meets_the_first_reply_and_a_note_does_not(
    fake_now, office_policy, make_ticket, agent
):
    ticket = make_ticket()
    fake_now.advance(minutes=30)
    ticket_update_by_agent(ticket, agent=agent, body="Looking into it.", is_public=False)
    assert clock_of(ticket, Metric.FIRST_REPLY).achieved_at is None

    fake_now.advance(minutes=30)
    ticket_update_by_agent(ticket, agent=agent, body="Here is how to export.")

    first = clock_of(ticket, Metric.FIRST_REPLY)
    assert first.achieved_at == paris(2026, 6, 8, 10)
    assert first.met is True
    assert clock_of(ticket, Metric.RESOLUTION).achieved_at is None


def test_pending_pauses_the_clocks_and_the_requester_s_reply_resumes_them_pushing_the_due_time(
    fake_now, office_policy, make_ticket, agent
):
    ticket = make_ticket()  # Monday 09:00: four business hours are 9-12 and 13-14
    assert clock_of(ticket, Metric.FIRST_REPLY).due_at == paris(2026, 6, 8, 14)

    fake_now.set(paris(2026, 6, 8, 10))
    ticket_set_status(ticket, Status.PENDING, actor=agent)
    paused = clock_of(ticket, Metric.FIRST_REPLY)
    assert paused.paused_since == paris(2026, 6, 8, 10)
    assert paused.due_at == paris(2026, 6, 8, 14)  # the due time before the pause, until it resumes

    fake_now.set(paris(2026, 6, 8, 15))
    ticket_reply_by_requester(ticket=ticket, body="Here is the log.", channel="web")

    first = clock_of(ticket, Metric.FIRST_REPLY)
    assert first.paused_since is None
    assert first.paused_total == timedelta(hours=4)  # 10-12 and 13-15
    assert first.due_at == paris(2026, 6, 8, 18)  # three hours were left at 10:00
    assert first.warn_at == paris(2026, 6, 8, 17)


@pytest.mark.parametrize(
    ("pause_on_hold", "paused", "due"),
    [(True, timedelta(hours=2), paris(2026, 6, 10, 11)), (False, timedelta(0), paris(2026, 6, 9, 18))],
)
def test_on_hold_pauses_the_clocks_only_when_the_policy_says_so(
    fake_now, office, make_ticket, agent, pause_on_hold, paused, due
):
    policy_make("Office hours", OFFICE_TARGETS, schedule=office, pause_on_hold=pause_on_hold)
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 10))
    ticket_update_by_agent(ticket, agent=agent, status=Status.ON_HOLD)
    on_hold = clock_of(ticket, Metric.RESOLUTION)
    assert (on_hold.paused_since is not None) is pause_on_hold

    fake_now.set(paris(2026, 6, 8, 12))
    ticket_update_by_agent(ticket, agent=agent, status=Status.OPEN)

    resolution = clock_of(ticket, Metric.RESOLUTION)
    assert resolution.paused_total == paused
    assert resolution.due_at == due


def test_solving_meets_the_resolution_and_a_reopening_resumes_it(fake_now, office_policy, make_ticket, agent):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 11))
    ticket_update_by_agent(ticket, agent=agent, body="Fixed.", status=Status.SOLVED)
    solved = clock_of(ticket, Metric.RESOLUTION)
    assert solved.achieved_at == paris(2026, 6, 8, 11)
    assert solved.due_at == paris(2026, 6, 9, 18)
    assert solved.met is True

    fake_now.set(paris(2026, 6, 10, 10))  # Wednesday
    ticket_reply_by_requester(ticket=ticket, body="It broke again.", channel="web")

    reopened = clock_of(ticket, Metric.RESOLUTION)
    assert (reopened.achieved_at, reopened.paused_since) == (None, None)
    # Two hours ran before the solve, fourteen are left from Wednesday 10:00; the time solved did not count.
    assert reopened.due_at == paris(2026, 6, 11, 17)
    assert reopened.paused_total == timedelta(hours=15)
    # The reply waits for an answer of its own, and the first reply stays met.
    assert clock_of(ticket, Metric.NEXT_REPLY, cycle=1).due_at == paris(2026, 6, 10, 12)
    assert clock_of(ticket, Metric.FIRST_REPLY).achieved_at == paris(2026, 6, 8, 11)


def test_each_requester_reply_after_an_agent_s_waits_for_the_next_public_reply(
    fake_now, office_policy, make_ticket, agent
):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 10))
    ticket_update_by_agent(ticket, agent=agent, body="Which version?")
    fake_now.set(paris(2026, 6, 8, 10, 30))
    ticket_reply_by_requester(ticket=ticket, body="2.3", channel="web")
    fake_now.set(paris(2026, 6, 8, 11))
    ticket_update_by_agent(ticket, agent=agent, body="Thanks, looking.")
    fake_now.set(paris(2026, 6, 8, 17))
    ticket_reply_by_requester(ticket=ticket, body="Any news?", channel="web")

    first_cycle = clock_of(ticket, Metric.NEXT_REPLY, cycle=1)
    assert (first_cycle.started_at, first_cycle.achieved_at) == (paris(2026, 6, 8, 10, 30), paris(2026, 6, 8, 11))
    second_cycle = clock_of(ticket, Metric.NEXT_REPLY, cycle=2)
    assert (second_cycle.due_at, second_cycle.achieved_at) == (paris(2026, 6, 9, 10), None)  # 17-18, then Tuesday


def test_a_priority_change_gives_the_waiting_clocks_the_new_target_from_their_start_keeping_their_pauses(
    fake_now, office_policy, make_ticket, agent
):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 9, 30))
    ticket_set_status(ticket, Status.PENDING, actor=agent)
    fake_now.set(paris(2026, 6, 8, 10, 30))
    ticket_reply_by_requester(ticket=ticket, body="Here it is.", channel="web")
    assert clock_of(ticket, Metric.FIRST_REPLY).due_at == paris(2026, 6, 8, 15)  # 4 h + 1 h paused

    fake_now.set(paris(2026, 6, 8, 11))
    ticket_update_by_agent(ticket, agent=agent, priority=Priority.HIGH)

    first = clock_of(ticket, Metric.FIRST_REPLY)
    assert first.started_at == paris(2026, 6, 8, 9)
    assert first.paused_total == timedelta(hours=1)
    assert first.due_at == paris(2026, 6, 8, 12)  # 2 h + 1 h paused
    assert clock_of(ticket, Metric.RESOLUTION).due_at == paris(2026, 6, 9, 10)  # 8 h + 1 h paused


def test_a_group_change_moves_the_ticket_to_the_policy_of_that_group_on_its_own_clock(
    fake_now, office_policy, make_ticket, agent
):
    vip = SupportGroup.objects.create(name="VIP")
    round_the_clock = policy_make(
        "VIP, round the clock", {(Metric.FIRST_REPLY, Priority.NORMAL): 60}, group=vip, position=1
    )
    fake_now.set(paris(2026, 6, 5, 17))  # Friday evening
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 5, 17, 10))
    ticket_update_by_agent(ticket, agent=agent, status=Status.PENDING)
    fake_now.set(paris(2026, 6, 5, 17, 40))
    ticket_update_by_agent(ticket, agent=agent, status=Status.OPEN)

    fake_now.set(paris(2026, 6, 5, 17, 45))
    ticket_update_by_agent(ticket, agent=agent, group=vip)

    first = clock_of(ticket, Metric.FIRST_REPLY)
    assert first.policy == round_the_clock
    # Calendar time: an hour from 17:00, and the half hour pending, measured on the new clock.
    assert first.due_at == paris(2026, 6, 5, 18, 30)
    assert first.paused_total == timedelta(minutes=30)
    # The VIP policy promises no resolution: that clock stops.
    assert clock_of(ticket, Metric.RESOLUTION).stopped_at == paris(2026, 6, 5, 17, 45)


def test_a_met_clock_keeps_the_terms_it_was_measured_against(fake_now, office_policy, make_ticket, agent):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 12, 30))
    ticket_update_by_agent(ticket, agent=agent, body="Hello.")  # met: due 14:00 on a normal ticket

    fake_now.set(paris(2026, 6, 8, 15))
    ticket_update_by_agent(ticket, agent=agent, priority=Priority.HIGH)

    first = clock_of(ticket, Metric.FIRST_REPLY)
    assert first.due_at == paris(2026, 6, 8, 14)
    assert first.met is True
    assert clock_of(ticket, Metric.RESOLUTION).due_at == paris(2026, 6, 8, 18)


def test_when_no_policy_applies_any_more_the_waiting_clocks_stop_and_start_again_if_one_does(
    fake_now, office, make_ticket, agent
):
    policy_make("Normal tickets", OFFICE_TARGETS, schedule=office, priority=Priority.NORMAL)
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 10))
    ticket_update_by_agent(ticket, agent=agent, priority=Priority.LOW)
    stopped = clock_of(ticket, Metric.FIRST_REPLY)
    assert stopped.stopped_at == paris(2026, 6, 8, 10)

    fake_now.set(paris(2026, 6, 8, 11))
    ticket_update_by_agent(ticket, agent=agent, priority=Priority.NORMAL)

    first = clock_of(ticket, Metric.FIRST_REPLY)
    assert (first.stopped_at, first.due_at) == (None, paris(2026, 6, 8, 14))


def test_closing_as_spam_and_merging_stop_the_clocks(fake_now, office_policy, make_ticket, agent):
    spam = make_ticket(subject="Cheap pills")
    duplicate = make_ticket(subject="Written twice")
    kept = make_ticket(subject="Export fails")
    fake_now.set(paris(2026, 6, 8, 10))

    ticket_mark_spam(spam, agent=agent)
    tickets_merge([duplicate], kept, agent=agent, tell_requesters=True)

    for ticket in (spam, duplicate):
        assert {row.stopped_at for row in clocks(ticket).values()} == {paris(2026, 6, 8, 10)}
    # The public message telling of the merge answers nobody: the first reply still waits.
    assert clock_of(kept, Metric.FIRST_REPLY).achieved_at is None


def test_a_change_handed_over_twice_changes_nothing_the_second_time(fake_now, office_policy, make_ticket, agent):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 10))
    ticket_set_status(ticket, Status.PENDING, actor=agent)
    before = {key: (row.due_at, row.paused_since, row.paused_total) for key, row in clocks(ticket).items()}
    change = ticket.events.latest("id").change

    fake_now.set(paris(2026, 6, 8, 16))
    sla_clocks_follow(change)

    assert {key: (row.due_at, row.paused_since, row.paused_total) for key, row in clocks(ticket).items()} == before


def test_a_business_rule_s_acknowledgement_is_not_the_team_s_first_reply(fake_now, office_policy, make_ticket, agent):
    Rule.objects.create(
        name="Acknowledge",
        events=["created"],
        actions=[{"action": "add_reply", "value": {"en": "We got it, {requester_name}.", "fr": "Bien reçu."}}],
    )
    ticket = make_ticket()
    assert ticket.messages.filter(author=None, is_public=True).count() == 1  # the rule's reply

    assert clock_of(ticket, Metric.FIRST_REPLY).achieved_at is None
    fake_now.advance(hours=1)
    ticket_update_by_agent(ticket, agent=agent, body="Here is the answer.")
    assert clock_of(ticket, Metric.FIRST_REPLY).achieved_at == fake_now.now
