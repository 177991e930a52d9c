"""Triggers run on ticket events through the backbone, act through the ticket services, in order, with the chain guard.

The changes are handed to the subscribers as the write's transaction ends
(tests/conftest.py), so a rule has acted when the service that set it off returns.
"""

from __future__ import annotations

import pytest

from comptoir.rules.engine import MAX_DEPTH, rule_last_run
from comptoir.rules.models import Outcome, RuleRun, RunWarning
from comptoir.tickets.models import AuthorRole, EventKind, Message, Status, Survey, Ticket, TicketEvent
from comptoir.tickets.services import (
    ticket_reply_by_requester,
    ticket_set_status,
    ticket_update_by_agent,
)

pytestmark = pytest.mark.django_db


def history(ticket: Ticket) -> list[tuple[str, str, str, int | None]]:
    return [
        (event.kind, event.old_value, event.new_value, event.actor_id)
        for event in TicketEvent.objects.filter(ticket=ticket).order_by("id")
    ]


def tags(ticket: Ticket) -> set[str]:
    return set(ticket.tags.values_list("name", flat=True))


def test_a_new_ticket_about_an_invoice_lands_in_billing_tagged_and_its_history_says_which_rule(
    make_rule, make_ticket, billing
):
    rule = make_rule(
        "Invoices to Billing",
        events=["created"],
        conditions=[("subject", "contains", "facture")],
        actions=[("set_group", billing.pk), ("add_tags", "billing")],
    )

    ticket = make_ticket(subject="Ma FACTURE de mars", language="fr")

    ticket.refresh_from_db()
    assert ticket.group == billing
    assert tags(ticket) == {"billing"}
    # Routing is not working on it: the ticket stays new for an agent to pick up.
    assert ticket.status == Status.NEW
    created, group, tag = TicketEvent.objects.filter(ticket=ticket).order_by("id")
    assert (group.kind, group.new_value, group.actor_id) == (EventKind.GROUP, "Billing", None)
    assert (tag.kind, tag.new_value, tag.actor_id) == (EventKind.TAG_ADDED, "billing", None)
    assert group.change == tag.change != created.change
    run = RuleRun.objects.get(rule=rule, ticket=ticket)
    assert (run.outcome, run.produced_change, run.change, run.event) == (
        Outcome.FIRED,
        group.change,
        created.change,
        created,
    )
    assert run.changes == {"group": [None, billing.pk], "tags_added": ["billing"]}


def test_a_ticket_about_something_else_is_left_alone_and_the_rule_says_why(make_rule, make_ticket, billing):
    rule = make_rule(
        "Invoices to Billing",
        events=["created"],
        conditions=[("channel", "is", "web"), ("subject", "contains", "facture")],
        actions=[("set_group", billing.pk)],
    )

    ticket = make_ticket(subject="Export fails")

    assert Ticket.objects.get(pk=ticket.pk).group is None
    run = rule_last_run(rule, ticket)
    assert run is not None
    assert run.outcome == Outcome.NOT_FIRED
    assert run.failed_condition == {"field": "subject", "operator": "contains", "value": "facture"}


def test_only_the_latest_not_fired_reason_of_a_rule_on_a_ticket_is_kept(make_rule, make_ticket, agent):
    rule = make_rule(
        "Urgent to the lead",
        events=["created", "updated"],
        conditions=[("priority", "is", "urgent"), ("tags", "contains", "vip")],
        actions=[("set_assignee", agent.pk)],
    )
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, priority="urgent")

    [run] = RuleRun.objects.filter(rule=rule, ticket=ticket)
    assert run.outcome == Outcome.NOT_FIRED
    assert run.failed_condition == {"field": "tags", "operator": "contains", "value": "vip"}
    assert run.change == TicketEvent.objects.get(ticket=ticket, kind=EventKind.PRIORITY).change


ACTIONS = [
    ("set_status", "pending", EventKind.STATUS, "pending"),
    ("set_priority", "high", EventKind.PRIORITY, "high"),
    ("set_type", "incident", EventKind.TYPE, "incident"),
    ("remove_tags", "vip", EventKind.TAG_REMOVED, ""),
]


@pytest.mark.parametrize(("action", "value", "kind", "new_value"), ACTIONS)
def test_each_action_is_written_by_the_ticket_services_as_a_change_of_its_history(
    make_rule, make_ticket, agent, action, value, kind, new_value
):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, add_tags=["vip"])
    make_rule("Act", events=["requester_message"], actions=[(action, value)])

    ticket_reply_by_requester(ticket=ticket, body="Any news?", channel="web")

    last = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert (last.kind, last.new_value, last.actor_id) == (kind, new_value, None)
    assert RuleRun.objects.get(outcome=Outcome.FIRED).produced_change == last.change


def test_assigning_sets_the_agent_and_the_group(make_rule, make_ticket, agent, billing):
    make_rule("Route", events=["created"], actions=[("set_group", billing.pk), ("set_assignee", agent.pk)])

    ticket = make_ticket()

    ticket.refresh_from_db()
    assert (ticket.group, ticket.assignee) == (billing, agent)
    assert history(ticket)[1:] == [(EventKind.ASSIGNEE, "", "Camille", None), (EventKind.GROUP, "", "Billing", None)]


def test_solving_goes_through_the_status_service_and_leaves_a_survey(make_rule, make_ticket, agent):
    make_rule(
        "Thanks closes",
        events=["requester_message"],
        conditions=[("body", "contains", "merci")],
        actions=[("set_status", "solved")],
    )
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Try again, please.", status=Status.PENDING)

    ticket_reply_by_requester(ticket=ticket, body="Ça marche, merci !", channel="web")

    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert ticket.solved_at is not None
    # The reply reopened it; the rule solved it in a change of its own.
    assert [event[:3] for event in history(ticket)[-3:]] == [
        (EventKind.REPLY, "", ""),
        (EventKind.STATUS, Status.PENDING, Status.OPEN),
        (EventKind.STATUS, Status.OPEN, Status.SOLVED),
    ]
    assert Survey.objects.filter(ticket=ticket, withdrawn_at__isnull=True).count() == 1


def test_a_note_is_an_internal_message_by_nobody(make_rule, make_ticket):
    make_rule("Remind", events=["created"], actions=[("add_note", "Check the contract first.")])

    ticket = make_ticket()

    note = Message.objects.filter(ticket=ticket).latest("id")
    assert (note.is_public, note.author, note.author_role, note.body) == (
        False,
        None,
        AuthorRole.AGENT,
        "Check the contract first.",
    )
    assert history(ticket)[1] == (EventKind.NOTE, "", "", None)
    # Unlike an agent's note, a rule's does not open a new ticket: the status is what its actions say.
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_rules_run_in_order_and_each_reads_what_the_ones_before_it_changed(make_rule, make_ticket, agent, billing):
    assign = make_rule(
        "Billing to Camille",
        events=["created"],
        conditions=[("group", "is", billing.pk)],
        actions=[("set_assignee", agent.pk)],
        position=2,
    )
    route = make_rule(
        "Invoices to Billing",
        events=["created"],
        conditions=[("subject", "contains", "invoice")],
        actions=[("set_group", billing.pk)],
        position=1,
    )

    first = make_ticket(subject="Invoice missing")
    assert Ticket.objects.get(pk=first.pk).assignee == agent

    # The other way round, assigning runs before the group is set, and it is a trigger on creation only.
    route.position, assign.position = 3, 2
    route.save()
    assign.save()
    second = make_ticket(subject="Invoice missing")
    second.refresh_from_db()
    assert (second.group, second.assignee) == (billing, None)
    assert rule_last_run(assign, second).failed_condition == {"field": "group", "operator": "is", "value": billing.pk}


def test_an_inactive_rule_or_one_on_other_events_does_not_run(make_rule, make_ticket):
    make_rule("Off", events=["created"], actions=[("set_priority", "high")]).__class__.objects.update(active=False)
    make_rule("On replies", events=["requester_message"], actions=[("set_priority", "urgent")])

    ticket = make_ticket()

    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"
    assert not RuleRun.objects.exists()


def test_requester_and_agent_messages_and_status_changes_are_events_of_their_own(make_rule, make_ticket, agent):
    make_rule("Customer", events=["requester_message"], actions=[("add_tags", "customer-wrote")])
    make_rule("Agent", events=["agent_message"], actions=[("add_tags", "agent-wrote")])
    make_rule("Status", events=["status_changed"], actions=[("add_tags", "status-moved")])
    ticket = make_ticket()
    assert tags(ticket) == set()

    ticket_update_by_agent(ticket, agent=agent, body="Internal thoughts", is_public=False)
    assert tags(ticket) == {"agent-wrote", "status-moved"}  # the note opened the new ticket

    ticket.tags.clear()
    ticket_reply_by_requester(ticket=ticket, body="Hello?", channel="web")
    assert tags(ticket) == {"customer-wrote"}


def test_rules_leave_closed_tickets_alone(make_rule, make_ticket):
    make_rule("Tag", events=["status_changed"], actions=[("add_tags", "late")])
    ticket = make_ticket()

    ticket_set_status(ticket, Status.CLOSED, actor=None)

    assert tags(ticket) == set()
    assert not RuleRun.objects.exists()


def test_a_group_deleted_since_the_rule_was_saved_stops_only_that_rule(make_rule, make_ticket, billing):
    gone = make_rule("Route", events=["created"], actions=[("set_group", billing.pk)], position=1)
    make_rule("Tag", events=["created"], actions=[("add_tags", "triaged")], position=2)
    billing.delete()

    ticket = make_ticket()

    assert tags(ticket) == {"triaged"}
    run = rule_last_run(gone, ticket)
    assert (run.outcome, run.warning) == (Outcome.NOT_FIRED, RunWarning.GROUP_GONE)


# --- The chain guard -----------------------------------------------------------------------------


def test_two_rules_flipping_the_priority_fire_once_each_then_stop_with_a_warning(make_rule, make_ticket, agent):
    down = make_rule(
        "High goes low",
        events=["updated"],
        conditions=[("priority", "is", "high")],
        actions=[("set_priority", "low")],
        position=1,
    )
    up = make_rule(
        "Low goes high",
        events=["updated"],
        conditions=[("priority", "is", "low")],
        actions=[("set_priority", "high")],
        position=2,
    )
    ticket = make_ticket()

    ticket_update_by_agent(ticket, agent=agent, priority="high")

    priorities = [(event[2], event[3]) for event in history(ticket) if event[0] == EventKind.PRIORITY]
    assert priorities == [("high", agent.pk), ("low", None), ("high", None)]
    assert Ticket.objects.get(pk=ticket.pk).priority == "high"
    runs = {(run.rule_id, run.outcome): run for run in RuleRun.objects.filter(ticket=ticket)}
    assert set(runs) >= {(down.pk, Outcome.FIRED), (up.pk, Outcome.FIRED), (down.pk, Outcome.STOPPED)}
    stopped = runs[(down.pk, Outcome.STOPPED)]
    assert (stopped.warning, stopped.depth, stopped.changes) == (
        RunWarning.ALREADY_FIRED,
        1,
        {"priority": ["high", "low"]},
    )
    # Warned once for the chain, though the change of each rule was handed back.
    assert RuleRun.objects.filter(outcome=Outcome.STOPPED).count() == 1
    fired = RuleRun.objects.filter(outcome=Outcome.FIRED)
    assert (
        {run.chain for run in fired}
        == {stopped.chain}
        == {TicketEvent.objects.get(ticket=ticket, kind=EventKind.PRIORITY, actor=agent).change}
    )


def test_a_chain_of_rules_setting_off_rules_stops_at_the_fixed_depth_with_a_warning(make_rule, make_ticket, agent):
    # Rule k adds "step-k" when the ticket has "step-(k-1)"; the last in order runs first, so each
    # rule is set off by the previous one's change, one link deeper.
    steps = [
        make_rule(
            f"Step {k}",
            events=["updated"],
            conditions=[("tags", "contains", f"step-{k - 1}")],
            actions=[("add_tags", f"step-{k}")],
            position=100 - k,
        )
        for k in range(1, MAX_DEPTH + 2)
    ]
    ticket = make_ticket()

    ticket_update_by_agent(ticket, agent=agent, add_tags=["step-0"])

    assert tags(ticket) == {f"step-{k}" for k in range(MAX_DEPTH + 1)}
    last = steps[-1]
    [stopped] = RuleRun.objects.filter(outcome=Outcome.STOPPED)
    assert (stopped.rule, stopped.warning, stopped.depth) == (last, RunWarning.TOO_DEEP, MAX_DEPTH)
    assert stopped.changes == {"tags_added": [f"step-{MAX_DEPTH + 1}"]}
    depths = sorted(RuleRun.objects.filter(outcome=Outcome.FIRED).values_list("depth", flat=True))
    assert depths == list(range(MAX_DEPTH))


def test_a_change_handed_over_twice_fires_nothing_twice(make_rule, make_ticket):
    from comptoir.rules.engine import rules_run

    make_rule("Tag", events=["created"], actions=[("add_tags", "seen")])
    ticket = make_ticket()
    created = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED)

    # At least once: the backbone may hand a change over again.
    [again] = rules_run(created.change)

    assert again.outcome == Outcome.NOT_FIRED
    assert again.warning == RunWarning.NOTHING_TO_CHANGE
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TAG_ADDED).count() == 1
