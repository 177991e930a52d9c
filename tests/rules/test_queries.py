"""The rules subscriber's cost for one event: fixed, whatever the number of rules that do not fire."""

from __future__ import annotations

import pytest
from django.db import transaction

from comptoir.rules.engine import rules_run
from comptoir.rules.models import Outcome, RuleRun
from comptoir.tickets.models import EventKind, Ticket, TicketEvent
from comptoir.tickets.services import ticket_update_by_agent

pytestmark = pytest.mark.django_db

# 1 the change's events, 2 the ticket's clock (a creation: its status and when it began), 3 the active
# triggers, 4 the ticket locked with its requester, 5 what rules did in the chain already, 6 the ticket's
# tags, 7 the rules' last "not fired" reasons read, 8 the runs written (none kept yet).
NOT_FIRING = 8


def created_change(make_ticket):
    ticket = make_ticket()
    return TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED).change


@pytest.mark.parametrize("rules", [1, 5])
def test_rules_that_do_not_fire_cost_the_same_whatever_their_number(
    make_rule, make_ticket, django_assert_num_queries, rules
):
    change = created_change(make_ticket)
    for number in range(rules):
        make_rule(
            f"Rule {number}",
            events=["created"],
            conditions=[("priority", "is", "urgent")],
            actions=[("add_tags", "urgent")],
        )

    with transaction.atomic(), django_assert_num_queries(NOT_FIRING):
        runs = rules_run(change)

    assert [run.outcome for run in runs] == [Outcome.NOT_FIRED] * rules


def test_a_rule_firing_adds_the_statements_of_one_bulk_update_and_the_lookup_of_its_change(
    make_rule, make_ticket, django_assert_num_queries
):
    change = created_change(make_ticket)
    make_rule("Tag", events=["created"], actions=[("add_tags", "seen"), ("set_priority", "high")])

    # The 6 first statements of NOT_FIRING; then tickets_update_in_bulk: 7 savepoint, 8 the ticket locked,
    # 9 its priority, 10 the tag made if new, 11 its id, 12 the tags the ticket has, 13 the tag added,
    # 14 the update time, 15 the change's events, 16 the subscribers owed it, 17 savepoint released;
    # 18 the change it wrote looked up; 19 the last "not fired" reasons read, 20 the run written.
    with transaction.atomic(), django_assert_num_queries(20):
        [run] = rules_run(change)

    assert run.outcome == Outcome.FIRED


def test_a_rule_still_not_firing_for_the_same_reason_keeps_its_row_and_writes_nothing(
    make_rule, make_ticket, agent, django_assert_num_queries
):
    ticket = make_ticket()
    make_rule(
        "Urgent and pending",
        events=["updated"],
        conditions=[("status", "is", "pending"), ("priority", "is", "urgent")],
        actions=[("add_tags", "u")],
    )
    ticket_update_by_agent(ticket, agent=agent, body="First look.", is_public=False)
    [kept] = RuleRun.objects.filter(ticket=ticket)
    ticket_update_by_agent(ticket, agent=agent, body="Second look.", is_public=False)
    change = TicketEvent.objects.filter(ticket=ticket).latest("id").change

    # 1 the change's events (a note moves no clock), 2 the active triggers, 3 the ticket locked, 4 the chain,
    # 5 its tags, 6 the rules' last "not fired" reasons read: the same reason, nothing written.
    with transaction.atomic(), django_assert_num_queries(6):
        assert rules_run(change) == []

    [still] = RuleRun.objects.filter(ticket=ticket)
    assert (still.pk, still.outcome, still.failed_condition) == (kept.pk, Outcome.NOT_FIRED, kept.failed_condition)
    assert kept.failed_condition["field"] == "status"
    # Another reason replaces it: the latest evaluation is the one kept.
    Ticket.objects.filter(pk=ticket.pk).update(status="pending")
    with transaction.atomic():
        rules_run(change)
    [latest] = RuleRun.objects.filter(ticket=ticket)
    assert latest.pk != kept.pk and latest.failed_condition["field"] == "priority"


def test_a_change_no_trigger_listens_to_costs_three_queries(make_rule, make_ticket, django_assert_num_queries):
    change = created_change(make_ticket)
    make_rule("Replies", events=["requester_message"], actions=[("add_tags", "replied")])

    # 1 the change's events, 2 the ticket's clock, 3 the active triggers.
    with transaction.atomic(), django_assert_num_queries(3):
        assert rules_run(change) == []


def test_a_change_that_moves_no_clock_costs_two_queries(make_rule, make_ticket, agent, django_assert_num_queries):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, status="open")
    ticket_update_by_agent(ticket, agent=agent, priority="high")
    change = TicketEvent.objects.get(ticket=ticket, kind=EventKind.PRIORITY).change
    make_rule("Replies", events=["requester_message"], actions=[("add_tags", "replied")])

    # 1 the change's events, 2 the active triggers: a priority is not a status, a message nor a group.
    with transaction.atomic(), django_assert_num_queries(2):
        assert rules_run(change) == []


# A change moving a ticket to a group, no trigger listening: 1 the change's events, 2 the active triggers,
# 3 the ticket locked with its group (assignment none: that is all); 4 the group's row locked, 5 the group's
# business hours (none: the team works round the clock; with hours, their ranges and days off too), 6 its
# members available (least open: with their waiting tickets counted, and no turn read or written), 7 the
# group's turn; then tickets_update_in_bulk: 8 savepoint, 9 the ticket locked, 10 its assignee, 11 its update
# time, 12 the change's event, 13 the subscribers owed it, 14 savepoint released; 15 the group's turn moved.
ASSIGNING = {"none": 3, "round_robin": 15, "least_open": 13}


@pytest.mark.parametrize(("assignment", "queries"), ASSIGNING.items())
def test_a_ticket_entering_a_group_costs_a_fixed_number_of_queries_to_assign(
    make_ticket, agent, django_assert_num_queries, assignment, queries, monkeypatch
):
    from comptoir.rules import subscriber
    from comptoir.tickets.models import SupportGroup

    group = SupportGroup.objects.create(name="Support", assignment=assignment)
    group.members.set([agent])
    ticket = make_ticket()
    # The rules do not run on their own here: the test runs them, on the group's change.
    monkeypatch.setattr(subscriber, "rules_run", lambda change: None)
    ticket_update_by_agent(ticket, agent=agent, status="open")
    ticket_update_by_agent(ticket, agent=agent, group=group)
    change = TicketEvent.objects.get(ticket=ticket, kind=EventKind.GROUP).change

    with transaction.atomic(), django_assert_num_queries(queries):
        rules_run(change)

    assert Ticket.objects.get(pk=ticket.pk).assignee == (None if assignment == "none" else agent)
