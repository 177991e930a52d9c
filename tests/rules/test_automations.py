"""Automations: time conditions read from an index, each automation firing once per ticket and period."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.rules.automations import automations_run, candidates
from comptoir.rules.models import Outcome, Rule, RuleRun, TicketClock
from comptoir.tickets.models import EventKind, Message, Status, Ticket, TicketEvent
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_the_tests_automations(db) -> None:
    # Each test here reads one automation of its own; the default ones (tests/rules/test_default_rules.py)
    # would act on the same tickets as the clocks move days ahead.
    Rule.objects.exclude(built_in="").delete()


def automation(
    name: str,
    *,
    conditions: list[tuple[str, str, Any]],
    actions: list[tuple[str, Any]],
    position: int = 0,
) -> Rule:
    rule = Rule(
        name=name,
        kind="automation",
        position=position,
        conditions=[{"field": f, "operator": o, "value": v} for f, o, v in conditions],
        actions=[{"action": a, "value": v} for a, v in actions],
    )
    rule.full_clean()
    rule.save()
    return rule


def later(**delta: float) -> datetime:
    return timezone.now() + timedelta(**delta)


def pending(make_ticket, agent, **extra) -> Ticket:
    ticket = make_ticket(**extra)
    ticket_update_by_agent(ticket, agent=agent, body="Could you send the file?", status=Status.PENDING)
    return ticket


def status(ticket: Ticket) -> str:
    return Ticket.objects.get(pk=ticket.pk).status


def test_pending_for_seven_days_is_solved_once_with_the_solved_e_mail(make_ticket, agent):
    rule = automation(
        "Solve the forgotten",
        conditions=[("status", "is", "pending"), ("hours_in_status", "at_least", 7 * 24)],
        actions=[("set_status", "solved")],
    )
    ticket = pending(make_ticket, agent)

    assert automations_run(now=later(days=6, hours=23)) == 0
    assert status(ticket) == Status.PENDING

    assert automations_run(now=later(days=7, minutes=1)) == 1
    assert status(ticket) == Status.SOLVED
    run = RuleRun.objects.get(rule=rule, ticket=ticket)
    went_pending = TicketEvent.objects.get(ticket=ticket, kind=EventKind.STATUS, new_value=Status.PENDING)
    assert (run.outcome, run.period) == (Outcome.FIRED, went_pending.created_at)
    assert run.changes == {"status": ["pending", "solved"]}
    # The clock followed the change the automation wrote.
    assert TicketClock.objects.get(ticket=ticket).status == Status.SOLVED
    last = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert (last.kind, last.new_value, last.actor_id, last.change) == (
        EventKind.STATUS,
        Status.SOLVED,
        None,
        run.produced_change,
    )
    assert OutboundEmail.objects.filter(ticket=ticket, kind=OutboundKind.TICKET_SOLVED).count() == 1
    assert automations_run(now=later(days=8)) == 0


def test_a_reminder_is_replied_once_per_pending_spell_in_the_ticket_s_language(make_ticket, agent):
    automation(
        "Remind",
        conditions=[("status", "is", "pending"), ("hours_in_status", "at_least", 72)],
        actions=[
            (
                "add_reply",
                {
                    "fr": "Bonjour {requester_name}, avez-vous du nouveau sur {ticket_reference} ?",
                    "en": "Hello {requester_name}, any news on {ticket_reference}?",
                },
            )
        ],
    )
    ticket = pending(make_ticket, agent, language="fr")

    assert automations_run(now=later(days=3, minutes=1)) == 1
    assert automations_run(now=later(days=3, minutes=6)) == 0  # the next run: same spell, nothing again

    reminder = Message.objects.filter(ticket=ticket).latest("id")
    assert (reminder.is_public, reminder.author, reminder.body) == (
        True,
        None,
        f"Bonjour Alice Martin, avez-vous du nouveau sur #{ticket.reference} ?",
    )
    # A reply is an e-mail to the requester, and it does not change the status: still waiting for them.
    assert OutboundEmail.objects.filter(ticket=ticket, kind=OutboundKind.AGENT_REPLY).count() == 2
    assert status(ticket) == Status.PENDING

    # She answers (open), the agent waits for her again: a new spell, a new reminder three days on.
    ticket_reply_by_requester(ticket=ticket, body="Not yet.", channel="web")
    ticket_update_by_agent(ticket, agent=agent, body="Tell me when.", status=Status.PENDING)
    assert automations_run(now=later(days=3, minutes=1)) == 1
    assert Message.objects.filter(ticket=ticket, author=None, is_public=True).count() == 2


TIME_CONDITIONS = [
    # field, operator, hours, hours of the run that must not fire, of the one that must
    ("hours_since_created", "at_least", 48, 47, 49),
    ("hours_in_status", "at_least", 24, 23, 25),
    ("hours_since_requester_message", "at_least", 10, 9, 11),
    ("hours_since_agent_message", "at_least", 5, 4, 6),
    ("hours_since_sla_due", "at_least", 2, 1 + 12, 3 + 12),  # due in 12 hours (below)
    ("hours_until_sla_due", "less_than", 2, 12 - 3, 12 - 1),
]


@pytest.mark.parametrize(("field", "operator", "hours", "too_soon", "in_time"), TIME_CONDITIONS)
def test_each_time_condition_fires_once_its_hours_are_reached(
    make_ticket, agent, field, operator, hours, too_soon, in_time
):
    automation("Tag late", conditions=[(field, operator, hours)], actions=[("add_tags", "late")])
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Looking into it.")
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=later(hours=12))

    assert automations_run(now=later(hours=too_soon)) == 0
    assert automations_run(now=later(hours=in_time)) == 1
    assert set(ticket.tags.values_list("name", flat=True)) == {"late"}
    assert automations_run(now=later(hours=in_time + 1)) == 0


def test_the_requester_writing_again_starts_a_new_period(make_ticket, agent):
    automation(
        "Nudge the team",
        conditions=[("status", "is", "open"), ("hours_since_requester_message", "at_least", 4)],
        actions=[("set_priority", "high")],
    )
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, status=Status.OPEN)
    assert automations_run(now=later(hours=5)) == 1
    ticket_update_by_agent(ticket, agent=agent, priority="normal")

    ticket_reply_by_requester(ticket=ticket, body="Hello?", channel="web")

    assert automations_run(now=later(hours=3)) == 0
    assert automations_run(now=later(hours=5)) == 1
    assert Ticket.objects.get(pk=ticket.pk).priority == "high"


def test_the_other_conditions_are_checked_and_a_failing_one_is_read_again_later(make_ticket, agent):
    automation(
        "VIPs waiting",
        conditions=[("hours_since_created", "at_least", 1), ("tags", "contains", "vip"), ("priority", "is", "normal")],
        actions=[("set_priority", "urgent")],
    )
    ticket = make_ticket()
    other = make_ticket()
    ticket_update_by_agent(other, agent=agent, add_tags=["vip"], priority="low")

    assert automations_run(now=later(hours=2)) == 0
    ticket_update_by_agent(ticket, agent=agent, add_tags=["vip"])
    assert automations_run(now=later(hours=2)) == 1
    assert Ticket.objects.get(pk=ticket.pk).priority == "urgent"
    assert Ticket.objects.get(pk=other.pk).priority == "low"


def test_the_candidates_are_read_by_chunks_and_each_fires_once(make_ticket, agent):
    automation(
        "Solve",
        conditions=[("status", "is", "pending"), ("hours_in_status", "at_least", 1)],
        actions=[("set_status", "solved")],
    )
    tickets = [pending(make_ticket, agent) for _ in range(5)]

    assert automations_run(now=later(hours=2), chunk=2) == 5

    assert {status(ticket) for ticket in tickets} == {Status.SOLVED}
    assert RuleRun.objects.filter(outcome=Outcome.FIRED).count() == 5


def test_closed_tickets_and_tickets_past_their_period_are_not_candidates(make_ticket, agent):
    rule = automation("Tag", conditions=[("hours_since_created", "at_least", 1)], actions=[("add_tags", "old")])
    done, waiting = make_ticket(), make_ticket()
    ticket_update_by_agent(done, agent=agent, status=Status.SOLVED)
    Ticket.objects.filter(pk=done.pk).update(status=Status.CLOSED)
    assert automations_run(now=later(hours=2)) == 1

    assert list(candidates(rule, now=later(hours=2))) == []
    assert set(waiting.tags.values_list("name", flat=True)) == {"old"}


def test_a_ticket_already_as_the_automation_wants_is_recorded_once_for_the_period(make_ticket, agent):
    rule = automation("Tag", conditions=[("hours_since_created", "at_least", 1)], actions=[("add_tags", "old")])
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, add_tags=["old"])

    assert automations_run(now=later(hours=2)) == 0

    [run] = RuleRun.objects.filter(rule=rule, ticket=ticket)
    assert (run.outcome, run.warning) == (Outcome.NOT_FIRED, "nothing_to_change")
    assert list(candidates(rule, now=later(hours=3))) == []


def test_the_change_an_automation_writes_sets_off_triggers_in_its_chain(make_rule, make_ticket, agent):
    rule = automation("Tag", conditions=[("hours_since_created", "at_least", 1)], actions=[("add_tags", "old")])
    trigger = make_rule(
        "Old is high", events=["updated"], conditions=[("tags", "contains", "old")], actions=[("set_priority", "high")]
    )
    ticket = make_ticket()

    automations_run(now=later(hours=2))

    assert Ticket.objects.get(pk=ticket.pk).priority == "high"
    fired = RuleRun.objects.get(rule=rule)
    followed = RuleRun.objects.get(rule=trigger, outcome=Outcome.FIRED)
    assert (followed.chain, followed.depth, followed.change) == (fired.chain, 1, fired.produced_change)


def test_an_inactive_automation_does_not_run(make_ticket):
    automation("Tag", conditions=[("hours_since_created", "at_least", 1)], actions=[("add_tags", "old")])
    Rule.objects.update(active=False)
    make_ticket()

    assert automations_run(now=later(hours=2)) == 0


@pytest.mark.parametrize(
    "condition",
    [
        ("tags", "contains", "vip refund"),
        ("tags", "not_contains", "spam-ish vip"),
        ("tags", "is_empty", None),
        ("requester", "is", "bob@example.org"),
        ("requester", "not_in", ["ALICE@example.org", "bob@example.org"]),
        ("organisation", "is_set", None),
        ("sla", "is", "breached"),
        ("sla", "not_in", ["none", "counting"]),
    ],
)
def test_conditions_on_tags_requester_organisation_and_sla_leave_no_candidate(make_ticket, agent, condition):
    """Regression: they were checked on each ticket, which was read and locked again every run, forever."""
    rule = automation(
        "VIPs waiting", conditions=[("hours_since_created", "at_least", 72), condition], actions=[("add_tags", "old")]
    )
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, add_tags=["vip"])
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=later(days=5))

    assert list(candidates(rule, now=later(days=4))) == []


@pytest.mark.parametrize(
    "condition",
    [
        ("tags", "contains", "vip refund"),
        ("tags", "not_contains", "spam-ish"),
        ("tags", "is_set", None),
        ("requester", "is", " Alice@Example.ORG "),
        ("requester", "in", ["bob@example.org", "ALICE@example.org"]),
        ("organisation", "is_empty", None),
        ("sla", "is", "counting"),
        ("sla", "not_in", ["none", "breached"]),
    ],
)
def test_conditions_on_tags_requester_organisation_and_sla_select_the_tickets_that_match(make_ticket, agent, condition):
    rule = automation(
        "VIPs waiting", conditions=[("hours_since_created", "at_least", 72), condition], actions=[("add_tags", "old")]
    )
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, add_tags=["vip", "refund"])
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=later(days=5))

    assert list(candidates(rule, now=later(days=4))) == [ticket]
    assert automations_run(now=later(days=4)) == 1  # and the conditions, checked on the ticket, agree


def test_a_ticket_whose_words_fail_is_not_read_again_in_its_period_until_it_changes(
    make_ticket, agent, django_assert_num_queries
):
    """Regression: a miss left no trace, so every run read and locked every ticket past the threshold."""
    rule = automation(
        "Refunds waiting",
        conditions=[("hours_since_created", "at_least", 72), ("body", "contains", "refund")],
        actions=[("add_tags", "refund")],
    )
    tickets = [make_ticket() for _ in range(3)]

    assert automations_run(now=later(days=4)) == 0
    misses = RuleRun.objects.filter(rule=rule, outcome=Outcome.NOT_FIRED)
    assert sorted(misses.values_list("ticket_id", flat=True)) == [ticket.pk for ticket in tickets]
    assert misses.first().failed_condition == {"field": "body", "operator": "contains", "value": "refund"}

    # 1. the active automations, 2. its candidates: none, no ticket read or locked.
    with django_assert_num_queries(2):
        assert automations_run(now=later(days=4, minutes=5)) == 0

    ticket_reply_by_requester(ticket=tickets[1], body="Any news on my refund?", channel="web")
    assert [ticket.pk for ticket in candidates(rule, now=later(days=4, minutes=10))] == [tickets[1].pk]
    assert automations_run(now=later(days=4, minutes=10)) == 1
    assert set(tickets[1].tags.values_list("name", flat=True)) == {"refund"}
    with django_assert_num_queries(2):
        assert automations_run(now=later(days=4, minutes=15)) == 0


def test_a_ticket_whose_words_failed_is_read_again_in_a_new_period(make_ticket, agent):
    rule = automation(
        "Waiting on an export",
        conditions=[("hours_in_status", "at_least", 1), ("subject", "contains", "export")],
        actions=[("add_tags", "export")],
    )
    ticket = make_ticket(subject="Login fails")
    assert automations_run(now=later(hours=2)) == 0
    assert list(candidates(rule, now=later(hours=3))) == []

    ticket_update_by_agent(ticket, agent=agent, status=Status.PENDING)

    assert list(candidates(rule, now=later(hours=3))) == [ticket]
