"""The rules subscriber's cost for one event: fixed, whatever the number of rules that do not fire."""

from __future__ import annotations

import pytest
from django.db import transaction

from comptoir.rules.engine import rules_run
from comptoir.rules.models import Outcome
from comptoir.tickets.models import EventKind, TicketEvent

pytestmark = pytest.mark.django_db

# 1 the change's events, 2 the active triggers, 3 the ticket locked with its requester, 4 what rules
# did in the chain already, 5 the ticket's tags, 6 the last "not fired" reasons dropped, 7 the runs written.
NOT_FIRING = 7


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

    # The 5 reads of NOT_FIRING; then tickets_update_in_bulk: 6 savepoint, 7 the ticket locked,
    # 8 its priority, 9 the tag made if new, 10 its id, 11 the tags the ticket has, 12 the tag added,
    # 13 the update time, 14 the change's events, 15 the subscribers owed it, 16 savepoint released;
    # 17 the change it wrote looked up; 18 the last "not fired" dropped, 19 the run written.
    with transaction.atomic(), django_assert_num_queries(19):
        [run] = rules_run(change)

    assert run.outcome == Outcome.FIRED


def test_a_change_no_trigger_listens_to_costs_two_queries(make_rule, make_ticket, django_assert_num_queries):
    change = created_change(make_ticket)
    make_rule("Replies", events=["requester_message"], actions=[("add_tags", "replied")])

    # 1 the change's events, 2 the active triggers.
    with transaction.atomic(), django_assert_num_queries(2):
        assert rules_run(change) == []
