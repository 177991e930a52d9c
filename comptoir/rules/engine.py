"""Triggers on one change of a ticket: the rules listening to it, in order, with the chain guard; and the dry run.

A change a person or a job made starts a *chain*. The change a rule writes is
handed back to this subscriber like any other, as the next link of the same
chain (its RuleRun keeps the change it wrote, ``produced_change``). In a chain,
a rule fires at most once per ticket (a unique constraint says so too), and no
rule fires deeper than ``MAX_DEPTH`` links; a rule held back while it would
change the ticket again is recorded as stopped, with a warning for the admin,
once per chain.

Within one change, rules run in their order and each reads the ticket as the
rules before it left it, so "set the group Billing" then "when the group is
Billing, assign Zoé" both happen on the same event. Each rule that fires writes
its own change (the history says which rule did what through its RuleRun).

What is kept: a row for every rule that fired or was stopped, and for each rule
and ticket only the latest "did not fire" (with the first condition that failed),
so that a busy help desk's table grows with what rules do, not with what they
look at.

Besides the triggers, each change keeps two things true (built-in steps, not
rules): the ticket's clock, what automations count time from (``clock_follow``),
and, when the ticket entered a group without an assignee, the group's automatic
assignment (comptoir.rules.assignment), after the triggers so that a trigger
assigning the ticket itself wins.

Concurrency: the backbone hands one ticket's changes to this subscriber one at
a time, in order (the dispatcher holds the delivery's row with FOR UPDATE NOWAIT,
and the handler runs in the transaction that marks it done); the ticket's row
is locked here before the rules read it, so a concurrent write waits for the
rules to finish rather than interleaving with them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from comptoir.rules.actions import ActionUnavailable, Plan, plan, plan_apply
from comptoir.rules.asked import Asked
from comptoir.rules.assignment import assignment_follow
from comptoir.rules.conditions import TicketFacts, evaluate, fields_gone
from comptoir.rules.models import Outcome, Rule, RuleKind, RuleRun, RunWarning, TicketClock, Trigger
from comptoir.tickets.models import AuthorRole, EventKind, Message, Status, Ticket, TicketEvent, written_by_the_team

# A chain of rules setting off rules stops this many links after the change that started it.
MAX_DEPTH = 5

# The changes of a ticket that are "updates" (an SLA warning or breach has its own trigger).
UPDATE_KINDS = frozenset(
    {
        EventKind.STATUS,
        EventKind.REPLY,
        EventKind.NOTE,
        EventKind.ASSIGNEE,
        EventKind.GROUP,
        EventKind.PRIORITY,
        EventKind.TYPE,
        EventKind.TAG_ADDED,
        EventKind.TAG_REMOVED,
        EventKind.CC_ADDED,
        EventKind.CC_REMOVED,
        EventKind.REQUESTER_CHANGED,
        EventKind.SATISFACTION,
        # A ticket field's value (comptoir.ticketforms): rules may read it (``field:<key>`` conditions).
        EventKind.FIELD,
    }
)
RULE_KINDS = UPDATE_KINDS | {EventKind.CREATED, EventKind.SLA_WARNING, EventKind.SLA_BREACH}


def triggers_of(events: Sequence[TicketEvent]) -> set[str]:
    """The trigger events one change is: a creation is only that; an update may also be a message, a status..."""
    # A robot's message (an out-of-office) changes nothing: no rule runs on it.
    events = [event for event in events if not event.automatic]
    kinds = {event.kind for event in events}
    if EventKind.CREATED in kinds:
        return {Trigger.CREATED}
    found: set[str] = set()
    if kinds & UPDATE_KINDS:
        found.add(Trigger.UPDATED)
    if EventKind.STATUS in kinds:
        found.add(Trigger.STATUS_CHANGED)
    if EventKind.SLA_WARNING in kinds:
        found.add(Trigger.SLA_WARNING)
    if EventKind.SLA_BREACH in kinds:
        found.add(Trigger.SLA_BREACH)
    for event in events:
        message = event.message
        if event.kind not in (EventKind.REPLY, EventKind.NOTE) or message is None:
            continue
        if message.author_role == AuthorRole.REQUESTER:
            found.add(Trigger.REQUESTER_MESSAGE)
        # A person's message: a rule's own note is not an agent's.
        elif written_by_the_team(message.author_role, message.author_id):
            found.add(Trigger.AGENT_MESSAGE)
    return found


def facts_of(
    ticket: Ticket,
    *,
    requester: str,
    organisation_id: int | None,
    tags: Iterable[str],
    body: str,
    now: datetime,
    created_at: datetime | None = None,
    status_since: datetime | None = None,
    requester_message_at: datetime | None = None,
    agent_message_at: datetime | None = None,
    asked: Mapping[str, Any] | None = None,
) -> TicketFacts:
    """The facts of ``ticket``; the times (automations only) are those of its clock.

    ``asked``: the facts read only for the rules that ask (comptoir.rules.asked: ``Asked.of``).
    """
    asked = asked or {}
    return TicketFacts.of(
        ticket_id=ticket.pk,
        status=ticket.status,
        priority=ticket.priority,
        type=ticket.type,
        channel=ticket.channel,
        language=ticket.language,
        group_id=ticket.group_id,
        assignee_id=ticket.assignee_id,
        requester=requester,
        organisation_id=organisation_id,
        tags=tags,
        subject=ticket.subject,
        body=body,
        sla_due_at=ticket.sla_due_at,
        now=now,
        created_at=created_at,
        status_since=status_since,
        requester_message_at=requester_message_at,
        agent_message_at=agent_message_at,
        business_hours=asked.get("business_hours", ""),
        assignee_availability=asked.get("assignee_availability", ""),
        fields=asked.get("fields"),
    )


def _acted_on(ticket: Ticket) -> bool:
    """Rules leave alone what nobody works on any more: closed (final), merged away, spam."""
    return ticket.status != Status.CLOSED and not ticket.spam and ticket.merged_into_id is None


def rules_run(change: uuid.UUID, *, now: datetime | None = None) -> list[RuleRun]:
    """Run the triggers listening to ``change`` on its ticket; returns the runs recorded. Call it in a transaction.

    Then the built-in steps: the ticket's clock, and the group's assignment when the change moved it to a group.
    """
    events = [event for event in _change_events(change) if not event.automatic]
    if not events:
        return []
    clock_follow(events)
    runs = _triggers_run(change, events, now=now)
    if any(event.kind == EventKind.GROUP and event.new_value for event in events):
        assignment_follow(events[0].ticket_id)
    return runs


def clock_follow(events: Sequence[TicketEvent]) -> None:
    """Keep the ticket's clock (``TicketClock``) as the change leaves it: one statement, or none.

    The status and when it began; the requester's latest message; the latest public reply a person
    on the team wrote (a rule's reply, without an actor, is not one, as for the agent_message trigger).
    The backbone hands a ticket's changes in order, so the latest change handed is the truth.
    """
    values: dict[str, object] = {}
    for event in events:
        if event.kind in (EventKind.CREATED, EventKind.STATUS):
            values["status"], values["status_since"] = event.new_value, event.created_at
        message = event.message
        if event.kind not in (EventKind.CREATED, EventKind.REPLY) or message is None:
            continue
        if message.author_role == AuthorRole.REQUESTER:
            values["requester_message_at"] = message.created_at
        elif message.is_public and written_by_the_team(message.author_role, message.author_id):
            values["agent_message_at"] = message.created_at
    if not values:
        return
    # A ticket without a clock yet (a change handed late): "" is no status, so no time in status counts
    # until its next status change; the other times count from now on.
    row = TicketClock(ticket_id=events[0].ticket_id, status="", status_since=events[0].created_at)
    for field, value in values.items():
        setattr(row, field, value)
    TicketClock.objects.bulk_create(
        [row], update_conflicts=True, unique_fields=["ticket"], update_fields=sorted(values)
    )


def _triggers_run(change: uuid.UUID, events: list[TicketEvent], *, now: datetime | None) -> list[RuleRun]:
    triggers = triggers_of(events)
    if not triggers:
        return []
    rules = [
        rule
        for rule in Rule.objects.filter(active=True, kind=RuleKind.TRIGGER).order_by("position", "id")
        if set(rule.events) & triggers
    ]
    if not rules:
        return []
    # Read the ticket as it is now, and keep it so: a concurrent write waits for the rules (module docstring).
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("requester").get(pk=events[0].ticket_id)
    if not _acted_on(ticket):
        return []
    chain, depth, prior = _chain(change, ticket.pk)
    facts = facts_of(
        ticket,
        requester=ticket.requester.email,
        organisation_id=ticket.requester.organisation_id,
        tags=ticket.tags.values_list("name", flat=True),
        body="\n".join(event.message.body for event in events if event.message is not None),
        now=now or timezone.now(),
        asked=Asked.load(rules, [ticket]).of(ticket, now or timezone.now()),
    )
    # The requester's words in this change: a notice a rule sends on it is that reply's (comptoir.rules.actions).
    requester_message = next(
        (
            event.message
            for event in events
            if event.kind == EventKind.REPLY
            and event.message is not None
            and event.message.is_public
            and event.message.author_role == AuthorRole.REQUESTER
        ),
        None,
    )
    runs: list[RuleRun] = []
    for rule in rules:
        run = RuleRun(rule=rule, ticket=ticket, event=events[0], change=change, chain=chain, depth=depth)
        runs.append(run)
        verdict = evaluate(rule, facts)
        if not verdict.matched:
            run.outcome = Outcome.NOT_FIRED
            run.failed_condition = verdict.first_failed.as_json() if verdict.first_failed else None
            if fields_gone(rule, facts):
                run.warning = RunWarning.FIELD_GONE  # a field it reads was deleted: it can never match as saved
            continue
        todo = plan(rule.actions, facts)
        if not todo:
            run.outcome, run.warning = Outcome.NOT_FIRED, RunWarning.NOTHING_TO_CHANGE
            continue
        done = prior.get(rule.pk, set())
        if Outcome.FIRED in done and not todo.writes:
            # It told what it tells once in this chain, and the ticket is as it leaves it: no loop, nothing to say.
            runs.pop()
            continue
        if Outcome.FIRED in done or depth >= MAX_DEPTH:
            if Outcome.STOPPED in done:
                runs.pop()  # warned once in this chain is enough
                continue
            run.outcome = Outcome.STOPPED
            run.warning = RunWarning.ALREADY_FIRED if Outcome.FIRED in done else RunWarning.TOO_DEEP
            run.changes = dict(todo.changes)  # what it would have done
            prior.setdefault(rule.pk, set()).add(Outcome.STOPPED)
            continue
        try:
            applied = plan_apply(todo, rule_name=rule.name, requester_message=requester_message, event_id=events[0].pk)
        except ActionUnavailable as unavailable:
            run.outcome, run.warning = Outcome.NOT_FIRED, unavailable.warning
            continue
        if applied.change is None:
            run.outcome, run.warning = Outcome.NOT_FIRED, applied.warning or RunWarning.REFUSED
            continue
        run.outcome, run.changes, run.produced_change = Outcome.FIRED, dict(todo.changes), applied.change
        # Fired, with what the admin should know: nobody to e-mail or notify (its other actions went ahead).
        run.warning = applied.warning or ""
        prior.setdefault(rule.pk, set()).add(Outcome.FIRED)
        facts = todo.after(facts)
    return _runs_keep(ticket, rules, runs)


def _runs_keep(ticket: Ticket, rules: list[Rule], runs: list[RuleRun]) -> list[RuleRun]:
    """Store the runs: one "did not fire" per rule and ticket, the latest reason; every firing and stop.

    Most events match no rule, and a hundred rules would otherwise delete and write a hundred rows on
    every event: a rule that still does not fire for the same reason keeps its row (which says since
    when), so a quiet event costs one read. Returns the runs written.
    """
    # Plain rows, not models: a hundred of them on every event.
    kept = {
        rule_id: (pk, failed, warning)
        for pk, rule_id, failed, warning in RuleRun.objects.filter(
            ticket=ticket, rule__in=rules, outcome=Outcome.NOT_FIRED
        ).values_list("id", "rule_id", "failed_condition", "warning")
    }
    written, replaced = [], []
    for run in runs:
        old = kept.get(run.rule_id)
        if old is not None and run.outcome == Outcome.NOT_FIRED and old[1:] == (run.failed_condition, run.warning):
            continue
        if old is not None:
            replaced.append(old[0])  # the latest evaluation says something else now
        written.append(run)
    if replaced:
        RuleRun.objects.filter(pk__in=replaced).delete()
    return RuleRun.objects.bulk_create(written) if written else []


def _change_events(change: uuid.UUID) -> list[TicketEvent]:
    # comptoir.tickets.history.change_events, without the ticket (locked and read apart) and its people.
    return list(TicketEvent.objects.filter(change=change).select_related("message").order_by("id"))


def _chain(change: uuid.UUID, ticket_id: int) -> tuple[uuid.UUID, int, dict[int, set[str]]]:
    """The chain ``change`` belongs to, how deep in it, and what each rule did in it already (one query).

    A change a rule wrote continues that rule's chain one link deeper; any other starts its own.
    The rows are those of the chain, whichever it is: the one ``change`` starts (if it was handed
    over before) or the one of the rule that wrote it (that row included).
    """
    written_by_rule = RuleRun.objects.filter(produced_change=change).values("chain")
    rows = RuleRun.objects.filter(Q(chain=change) | Q(chain__in=Subquery(written_by_rule)), ticket_id=ticket_id)
    chain, depth = change, 0
    prior: dict[int, set[str]] = {}
    for rule_id, outcome, run_chain, run_depth, produced in rows.values_list(
        "rule_id", "outcome", "chain", "depth", "produced_change"
    ):
        prior.setdefault(rule_id, set()).add(outcome)
        if produced == change:
            chain, depth = run_chain, run_depth + 1
    return chain, depth, prior


# --- The dry run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WouldChange:
    ticket: Ticket
    # Empty when the rule matches but the ticket is already as it sets it.
    plan: Plan


def dry_run(rule: Rule, tickets: Sequence[Ticket], *, now: datetime | None = None) -> list[WouldChange]:
    """The tickets ``rule`` matches, and what it would change on each, as if each had just been created.

    Nothing is written, and the chain of rules it would set off is not followed.
    Two queries whatever the number of tickets: their tags, and their requester and first message (and the
    teams' hours, read once, when the rule asks about business hours).
    """
    now = now or timezone.now()
    ids = [ticket.pk for ticket in tickets]
    tags: dict[int, set[str]] = {}
    for ticket_id, name in Ticket.tags.through.objects.filter(ticket_id__in=ids).values_list("ticket_id", "tag__name"):
        tags.setdefault(ticket_id, set()).add(name)
    first_message = Message.objects.filter(ticket=OuterRef("pk")).order_by("created_at", "id").values("body")[:1]
    people = {
        pk: (email, organisation_id, body or "")
        for pk, email, organisation_id, body in Ticket.objects.filter(pk__in=ids)
        .annotate(first_body=Subquery(first_message))
        .values_list("pk", "requester__email", "requester__organisation_id", "first_body")
    }
    # As if just created: within or outside the team's hours when it was.
    asked = Asked.load([rule], tickets)
    found = []
    for ticket in tickets:
        if ticket.pk not in people:
            continue
        email, organisation_id, body = people[ticket.pk]
        facts = facts_of(
            ticket,
            requester=email,
            organisation_id=organisation_id,
            tags=tags.get(ticket.pk, ()),
            body=body,
            now=now,
            asked=asked.of(ticket, ticket.created_at),
        )
        if evaluate(rule, facts).matched:
            found.append(WouldChange(ticket=ticket, plan=plan(rule.actions, facts)))
    return found


def dry_run_tickets(*, limit: int = 1000, days: int = 30, now: datetime | None = None) -> list[Ticket]:
    """The tickets a dry run looks at by default: the last ``limit`` created in the last ``days`` days."""
    since = (now or timezone.now()) - timedelta(days=days)
    return list(Ticket.objects.filter(created_at__gte=since).order_by("-created_at", "-id")[:limit])


def rule_last_run(rule: Rule, ticket: Ticket) -> RuleRun | None:
    """What ``rule`` last did on ``ticket``: its changes, or why it did not fire (the first condition that failed)."""
    return RuleRun.objects.filter(rule=rule, ticket=ticket).order_by("-created_at", "-id").first()
