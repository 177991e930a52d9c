"""Automations: rules run on time ("pending for 7 days → solved"), by a periodic job over an index.

Every few minutes (the beat job ``comptoir.rules.tasks.automations_run``) each
active automation, in position order, asks the database for its *candidates*:
the tickets its conditions select, with its time conditions as bounds on an
indexed time (``TicketClock.status_since`` and the latest messages, kept by the
rules subscriber; ``Ticket.created_at``; ``Ticket.sla_due_at``), so that a run
reads the few tickets past a threshold, not every ticket. The candidates are
taken in id order by chunks of ``CHUNK``; each is then locked (on PostgreSQL
``FOR UPDATE SKIP LOCKED``: a ticket another worker or a trigger holds is left
for the next run), read again and evaluated with the same conditions as a
trigger, and the actions are written through the same services.

Once per period. An automation's *period* on a ticket is the latest of the
times its time conditions count from: when the status began, the last message,
the due time... It fires at most once per ticket and period (a unique
constraint on ``RuleRun(rule, ticket, period)`` is the last word): "remind after
3 days pending" fires once per pending spell, again only when the ticket has
left pending and come back (a new ``status_since``), not every five minutes.
A candidate it matched but found nothing to change, or could not act on (its
group deleted...), is recorded once for the period too, and not read again.

The database checks every condition but the words (subject, latest message):
the time bounds, the ticket's fields, its tags, its requester, the requester's
organisation, the service level, the business hours (the groups whose team is
not at work now, read once per run), the assignee's availability and the values
of ticket fields (``field:<key>``, an EXISTS on the values; a long text's
"contains" is checked on each candidate, as the words). A candidate whose words fail is recorded as
"did not fire" for the period with the ticket's ``updated_at`` then
(``RuleRun.checked_version``): it is not read again in that period until the
ticket changes (every write of a ticket or of its messages moves ``updated_at``).
One write per ticket and period, not a read and a lock every five minutes.

The change an automation writes starts a chain: the triggers it sets off run
on it one link deeper, with the chain guard (comptoir.rules.engine).

Only an automation closes ("solved for 4 days → closed": closed is final, and
comes with time; comptoir.rules.validation refuses it to a trigger). It closes
through the same bulk service as any status a rule sets, as nobody (the default
"Close tickets solved for 4 days", comptoir.rules.defaults); a closed ticket is
no candidate any more.
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import reduce
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone

from comptoir.rules.actions import ActionUnavailable, plan, plan_apply
from comptoir.rules.asked import Asked, asked_fields
from comptoir.rules.conditions import (
    TIME_FIELDS,
    Availability,
    BusinessHours,
    Condition,
    Op,
    SlaState,
    TicketFacts,
    evaluate,
)
from comptoir.rules.engine import facts_of
from comptoir.rules.models import Outcome, Rule, RuleKind, RuleRun, RunWarning
from comptoir.sla.team_hours import TeamHoursBook
from comptoir.ticketforms import predicates
from comptoir.ticketforms.models import TicketField
from comptoir.tickets.models import Message, Status, Ticket
from comptoir.tickets.tags import tag_names

# Candidates read and acted on per query: a desk with thousands of tickets past a threshold is
# walked in id order, a chunk at a time, each ticket in a transaction of its own.
CHUNK = 200

# The column each time fact is read from, on the ticket's row or its clock.
_COLUMNS = {
    "created_at": "created_at",
    "status_since": "rules_clock__status_since",
    "requester_message_at": "rules_clock__requester_message_at",
    "agent_message_at": "rules_clock__agent_message_at",
    "sla_due_at": "sla_due_at",
}
# The conditions the database checks on the ticket's row, besides the time ones: a narrower scan.
_ROW_FIELDS = {
    "status": "status",
    "priority": "priority",
    "type": "type",
    "channel": "channel",
    "language": "language",
    "group": "group_id",
    "assignee": "assignee_id",
    "organisation": "requester__organisation_id",
}
# The conditions only Python checks, on each candidate: a miss on one of them holds until the ticket changes.
_READ_ON_TICKET = frozenset({"subject", "body"})


def anchors(rule: Rule) -> list[Condition]:
    """The time conditions that bound the candidates from one side: "at least N hours since", "less than N until"."""
    found = []
    for condition in (Condition.from_json(data) for data in rule.conditions or []):
        if condition.field not in TIME_FIELDS:
            continue
        _fact, until = TIME_FIELDS[condition.field]
        if condition.operator == (Op.LESS_THAN if until else Op.AT_LEAST):
            found.append(condition)
    return found


def candidates(rule: Rule, *, now: datetime, fields: Mapping[str, TicketField] | None = None) -> QuerySet[Ticket]:
    """The tickets ``rule`` (a valid automation: all of its conditions, one anchor at least) may fire on now.

    A superset of those it matches (the conditions on words are evaluated on each), without those
    it fired on (or gave up on) in their current period, nor those whose words it found wanting
    in this period and that have not changed since. ``fields``: the ticket fields its conditions
    name, by key (read here when None and it names one; a field deleted since selects no ticket).
    """
    if fields is None:
        fields = predicates.fields_by_key(predicates.keys_named(rule.conditions or []))
    tickets = Ticket.objects.exclude(status=Status.CLOSED).filter(spam=False, merged_into__isnull=True)
    periods: list[Any] = []
    for condition in (Condition.from_json(data) for data in rule.conditions or []):
        if condition.field in TIME_FIELDS:
            fact, until = TIME_FIELDS[condition.field]
            column = _COLUMNS[fact]
            hours = timedelta(hours=condition.value)
            if until:
                lookup = "lt" if condition.operator == Op.LESS_THAN else "gte"
                tickets = tickets.filter(**{f"{column}__{lookup}": now + hours})
            else:
                lookup = "lte" if condition.operator == Op.AT_LEAST else "gt"
                tickets = tickets.filter(**{f"{column}__{lookup}": now - hours})
            if fact == "status_since":
                # A clock not yet brought up to date with the ticket's status measures nothing.
                tickets = tickets.filter(rules_clock__status=F("status"))
            periods.append(F(column))
        elif condition.field in _ROW_FIELDS:
            tickets = tickets.filter(_row_condition(_ROW_FIELDS[condition.field], condition))
        elif condition.field == "tags":
            tickets = tickets.filter(_tags_condition(condition))
        elif condition.field == "requester":
            tickets = tickets.filter(_requester_condition(condition))
        elif condition.field == "sla":
            tickets = tickets.filter(_sla_condition(condition, now=now))
        elif condition.field == "business_hours":
            tickets = tickets.filter(_business_hours_condition(condition, now=now))
        elif condition.field == "assignee_availability":
            tickets = tickets.filter(_availability_condition(condition))
        elif (key := predicates.key_of(condition.field)) is not None:
            # A ticket field's value: EXISTS on the values table (comptoir.ticketforms.predicates).
            found = fields.get(key)
            tickets = tickets.filter(
                predicates.tickets_where(
                    found.pk if found else None, found.kind if found else "", condition.operator, condition.value
                )
            )
    period = periods[0] if len(periods) == 1 else Greatest(*periods)
    seen = RuleRun.objects.filter(rule=rule, ticket=OuterRef("pk"), period=OuterRef("period")).filter(
        Q(checked_version__isnull=True) | Q(checked_version=OuterRef("updated_at"))
    )
    return tickets.annotate(period=period).exclude(Exists(seen))


def _time_fields(rule: Rule) -> list[str]:
    return [data["field"] for data in rule.conditions or [] if data.get("field") in TIME_FIELDS]


def _row_condition(column: str, condition: Condition) -> Q:
    op = Op(condition.operator)
    if op is Op.IS_EMPTY:
        return Q(**{f"{column}__isnull": True})
    if op is Op.IS_SET:
        return Q(**{f"{column}__isnull": False})
    values = condition.value if op in (Op.IN, Op.NOT_IN) else [condition.value]
    inside = Q(**{f"{column}__in": values})
    return inside if op in (Op.IS, Op.IN) else ~inside


def _tags_condition(condition: Condition) -> Q:
    tagged = Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"))
    op = Op(condition.operator)
    if op is Op.IS_SET:
        return Q(Exists(tagged))
    if op is Op.IS_EMPTY:
        return ~Q(Exists(tagged))
    names = tag_names(str(condition.value or ""))
    if op is Op.CONTAINS:  # every tag named
        return Q(*(Exists(tagged.filter(tag__name=name)) for name in names))
    return ~Q(Exists(tagged.filter(tag__name__in=names)))  # none of them


def _requester_condition(condition: Condition) -> Q:
    """The address in any case: ``iexact`` is UPPER() = UPPER() on PostgreSQL, the index ``user_email_upper``."""
    op = Op(condition.operator)
    values = condition.value if op in (Op.IN, Op.NOT_IN) else [condition.value]
    inside = reduce(operator.or_, (Q(requester__email__iexact=str(value).strip()) for value in values))
    return inside if op in (Op.IS, Op.IN) else ~inside


def _business_hours_condition(condition: Condition, *, now: datetime) -> Q:
    """Whether the team of the ticket's group is at work now, as the groups whose hours are closed now."""
    op = Op(condition.operator)
    values = set(condition.value if op in (Op.IN, Op.NOT_IN) else [condition.value])
    wanted = values if op in (Op.IS, Op.IN) else set(BusinessHours) - values
    outside = Q(group_id__in=TeamHoursBook.load().closed_groups(now))
    if wanted == set(BusinessHours):
        return Q()
    if wanted == {BusinessHours.OUTSIDE}:
        return outside
    if wanted == {BusinessHours.WITHIN}:
        return ~outside
    return Q(pk__in=[])


def _availability_condition(condition: Condition) -> Q:
    """Whether the assignee is away, as ``Condition.holds_for`` reads it: a ticket without one is neither."""
    op = Op(condition.operator)
    values = condition.value if op in (Op.IN, Op.NOT_IN) else [condition.value]
    inside = Q(assignee__away__in=[value == Availability.AWAY for value in values])
    return inside if op in (Op.IS, Op.IN) else ~inside


def _sla_condition(condition: Condition, *, now: datetime) -> Q:
    """The service level's state as ``TicketFacts.of`` reads it from the due time, at ``now``."""
    op = Op(condition.operator)
    values = set(condition.value if op in (Op.IN, Op.NOT_IN) else [condition.value])
    wanted = values if op in (Op.IS, Op.IN) else set(SlaState) - values
    states = {
        SlaState.NONE: Q(sla_due_at__isnull=True),
        SlaState.COUNTING: Q(sla_due_at__gt=now),
        SlaState.BREACHED: Q(sla_due_at__lte=now),
    }
    return reduce(operator.or_, (states[state] for state in sorted(wanted)), Q(pk__in=[]))


def automations_run(*, now: datetime | None = None, chunk: int = CHUNK) -> int:
    """Run every active automation once over its candidates; returns how many times they fired."""
    now = now or timezone.now()
    fired = 0
    for rule in Rule.objects.filter(active=True, kind=RuleKind.AUTOMATION).order_by("position", "id"):
        fired += automation_run(rule, now=now, chunk=chunk)
    return fired


def automation_run(rule: Rule, *, now: datetime, chunk: int = CHUNK) -> int:
    """One automation over its candidates, in id order by chunks; returns how many tickets it fired on."""
    if not anchors(rule):
        return 0  # the validation refuses it; never a scan of every ticket
    fired = 0
    after = 0
    # The teams' hours at ``now`` are the same for every candidate: read once for the run.
    hours = TeamHoursBook.load() if "business_hours" in asked_fields([rule]) else None
    # The ticket fields it names, read once for the run.
    fields = predicates.fields_by_key(predicates.keys_named(rule.conditions or []))
    while True:
        ids = list(
            candidates(rule, now=now, fields=fields)
            .filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk]
        )
        for ticket_id in ids:
            fired += automation_fire(rule, ticket_id, now=now, hours=hours)
        if len(ids) < chunk:
            return fired
        after = ids[-1]


def automation_fire(rule: Rule, ticket_id: int, *, now: datetime, hours: TeamHoursBook | None = None) -> bool:
    """Evaluate ``rule`` on one ticket, locked, and act; whether it fired. Its own transaction.

    ``hours``: the teams' hours, read once for the run (read here when None and the rule asks).
    """
    try:
        with transaction.atomic():
            return _fire(rule, ticket_id, now=now, hours=hours)
    except IntegrityError:
        # Another worker fired it on this ticket in this period first: its writes stand, ours are undone.
        return False


def _fire(rule: Rule, ticket_id: int, *, now: datetime, hours: TeamHoursBook | None) -> bool:
    ticket = (
        Ticket.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("requester", "rules_clock")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or ticket.status == Status.CLOSED or ticket.spam or ticket.merged_into_id is not None:
        return False  # held by another worker (next run), gone, or no longer worked on
    facts = automation_facts(ticket, rule, now=now, hours=hours)
    verdict = evaluate(rule, facts)
    if not verdict.matched:
        _miss_record(rule, ticket, facts, verdict.first_failed)
        return False
    # Matched, so every time it counts from is known: the latest starts the period (as ``candidates``).
    period = _period(rule, facts)
    if RuleRun.objects.filter(rule=rule, ticket=ticket, period=period, checked_version__isnull=True).exists():
        return False
    run = RuleRun(rule=rule, ticket=ticket, period=period, change=(started := uuid.uuid4()), chain=started)
    todo = plan(rule.actions, facts)
    if not todo:
        run.outcome, run.warning = Outcome.NOT_FIRED, RunWarning.NOTHING_TO_CHANGE
    else:
        try:
            applied = plan_apply(todo, rule_name=rule.name)
        except ActionUnavailable as unavailable:
            run.outcome, run.warning = Outcome.NOT_FIRED, unavailable.warning
        else:
            if applied.change is None:
                run.outcome, run.warning = Outcome.NOT_FIRED, applied.warning or RunWarning.REFUSED
            else:
                run.outcome, run.changes, run.produced_change = Outcome.FIRED, dict(todo.changes), applied.change
                run.warning = applied.warning or ""
    if run.outcome == Outcome.NOT_FIRED:
        RuleRun.objects.filter(rule=rule, ticket=ticket, outcome=Outcome.NOT_FIRED).delete()
    run.save()
    return run.outcome == Outcome.FIRED


def _period(rule: Rule, facts: TicketFacts) -> datetime | None:
    """The latest of the times the rule counts from; None when one of them is unknown."""
    times = [getattr(facts, TIME_FIELDS[field][0]) for field in _time_fields(rule)]
    return None if None in times else max(times)


def _miss_record(rule: Rule, ticket: Ticket, facts: TicketFacts, failed: Condition | None) -> None:
    """Keep that ``ticket``'s words failed in this period, so that ``candidates`` leaves it until it changes.

    Only for the words: a miss on a condition the database checks means the ticket moved between
    the candidates' query and this read, and the next run's query judges it again.
    """
    period = _period(rule, facts)
    if failed is None or failed.field not in _READ_ON_TICKET or period is None:
        return
    RuleRun.objects.filter(rule=rule, ticket=ticket, outcome=Outcome.NOT_FIRED).delete()
    RuleRun.objects.create(
        rule=rule,
        ticket=ticket,
        period=period,
        change=(started := uuid.uuid4()),
        chain=started,
        outcome=Outcome.NOT_FIRED,
        failed_condition=failed.as_json(),
        checked_version=ticket.updated_at,
    )


def automation_facts(ticket: Ticket, rule: Rule, *, now: datetime, hours: TeamHoursBook | None = None) -> TicketFacts:
    """What an automation's conditions read on a ticket (its requester and clock loaded with it)."""
    try:
        clock = ticket.rules_clock  # the reverse one-to-one of TicketClock
    except ObjectDoesNotExist:
        clock = None
    body = ""
    if any(data.get("field") == "body" for data in rule.conditions or []):
        # "The message" of an automation: the ticket's latest.
        latest = Message.objects.filter(ticket=ticket).order_by("-created_at", "-id").values_list("body", flat=True)
        body = latest.first() or ""
    return facts_of(
        ticket,
        requester=ticket.requester.email,
        organisation_id=ticket.requester.organisation_id,
        tags=ticket.tags.values_list("name", flat=True),
        body=body,
        now=now,
        created_at=ticket.created_at,
        status_since=clock.status_since if clock is not None and clock.status == ticket.status else None,
        requester_message_at=clock.requester_message_at if clock is not None else None,
        agent_message_at=clock.agent_message_at if clock is not None else None,
        asked=Asked.load([rule], [ticket], hours=hours).of(ticket, now),
    )
