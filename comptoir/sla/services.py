"""The one writer of a ticket's SLA clocks (TicketSla rows), from its history and the policy that applies now.

Called by the subscriber (comptoir.sla.subscriber) for every change it is
handed. It replays the ticket's history (comptoir.sla.clock) under the terms
of the first policy that matches the ticket as it is now, and writes the
difference. Replaying makes the subscriber idempotent (a change handed over
twice writes nothing the second time) and makes re-evaluation exact: after a
change of priority, group, type or tags, the clocks still waiting get the new
policy's targets from their start, with their pauses measured on the new clock.
A clock already met keeps the policy and due time it was measured against.
Each clock's pauses (SlaPause rows, for the ticket page) are written with it:
those of a clock that differ from the replay's are replaced, and so is what the
clocks add to the reports' daily attainment (comptoir.sla.attainment).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import TypeAlias

from django.db import transaction
from django.utils import timezone

from comptoir.sla.attainment import attainment_recount
from comptoir.sla.business_time import always_open
from comptoir.sla.clock import Clock, Happening, Moment, Target, Terms, replay
from comptoir.sla.models import BusinessSchedule, SlaPause, SlaPolicy, SlaTarget, TicketSla
from comptoir.sla.policies import TicketFacts, policy_for
from comptoir.ticketforms.predicates import facts_for
from comptoir.tickets.models import AuthorRole, EventKind, Ticket, TicketEvent, written_by_the_team

HISTORY_KINDS = (
    EventKind.CREATED,
    EventKind.STATUS,
    EventKind.REPLY,
    EventKind.MERGED_INTO,
    EventKind.MERGED_FROM,
)
_MERGES = (EventKind.MERGED_INTO, EventKind.MERGED_FROM)

# What the subscriber writes; warned_at and breached_at are the breach job's alone.
CLOCK_FIELDS = (
    "policy",
    "started_at",
    "due_at",
    "warn_at",
    "paused_since",
    "paused_total",
    "achieved_at",
    "stopped_at",
)
_TIMES = CLOCK_FIELDS[1:]
# A pause: when it began, when it ended (None while it goes on).
Period: TypeAlias = tuple[datetime, datetime | None]


def ticket_history(ticket_id: int) -> list[Happening]:
    """The ticket's life as the clocks read it, from its events: one query."""
    rows = list(
        TicketEvent.objects.filter(ticket_id=ticket_id, kind__in=HISTORY_KINDS)
        .order_by("id")
        .values_list(
            "kind", "new_value", "created_at", "change", "automatic", "message__author_role", "message__author_id"
        )
    )
    # The message a merge writes on each ticket tells of the merge: it answers nobody.
    merges = {change for kind, _new, _at, change, _automatic, _role, _author in rows if kind in _MERGES and change}
    history: list[Happening] = []
    for kind, new, at, change, automatic, role, author in rows:
        if kind == EventKind.CREATED:
            if automatic:
                return []  # a robot's ticket (an autoresponder): nobody answers it, nothing is promised
            history.append(Happening(Moment.CREATED, at, by_agent=role == AuthorRole.AGENT))
        elif kind == EventKind.STATUS:
            history.append(Happening(Moment.STATUS, at, status=new))
        elif kind == EventKind.MERGED_INTO:
            history.append(Happening(Moment.MERGED, at))
        elif kind == EventKind.REPLY and not automatic and change not in merges:
            # A business rule's reply ("we got your request") is not the team answering.
            if written_by_the_team(role, author):
                history.append(Happening(Moment.AGENT_REPLY, at))
            elif role == AuthorRole.REQUESTER:
                history.append(Happening(Moment.REQUESTER_REPLY, at))
    return history


def active_policies() -> list[SlaPolicy]:
    return list(SlaPolicy.objects.filter(is_active=True).order_by("position", "id"))


def ticket_facts(ticket: Ticket, *, with_tags: bool, field_keys: Collection[str] = ()) -> TicketFacts:
    """What policies look at; the tags are read only when a policy asks for one (``with_tags``), the values of
    ticket fields only for the fields a policy names (``field_keys``: two queries)."""
    tags = frozenset(ticket.tags.values_list("name", flat=True)) if with_tags else frozenset()
    fields = facts_for([ticket.pk], field_keys)[ticket.pk] if field_keys else {}
    return TicketFacts(
        priority=ticket.priority,
        ticket_type=ticket.type,
        group_id=ticket.group_id,
        organisation_id=ticket.requester.organisation_id,
        channel=ticket.channel,
        tags=tags,
        fields=fields,
    )


def policy_of(ticket: Ticket, policies: Sequence[SlaPolicy]) -> SlaPolicy | None:
    """The first of ``policies`` (active, in order) that applies to ``ticket``, reading what they ask only."""
    keys = {condition.key for policy in policies for condition in policy.conditions.fields}
    return policy_for(ticket_facts(ticket, with_tags=any(p.tag for p in policies), field_keys=keys), policies)


def policy_terms(policy: SlaPolicy, priority: str, *, years: Iterable[int]) -> Terms:
    """What ``policy`` promises a ticket of ``priority``, its schedule holding the holidays of ``years``."""
    targets = list(SlaTarget.objects.filter(policy=policy, priority=priority))
    schedule = None
    if policy.schedule_id is not None and any(target.business_hours for target in targets):
        schedule = (
            BusinessSchedule.objects.prefetch_related("ranges", "closed_days")
            .get(pk=policy.schedule_id)
            .business_schedule(years)
        )
    calendar = always_open()
    return Terms(
        targets={
            target.metric: Target(
                minutes=target.minutes,
                schedule=schedule if schedule is not None and target.business_hours else calendar,
            )
            for target in targets
        },
        pause_on_hold=policy.pause_on_hold,
        warn_minutes=policy.warn_minutes,
    )


def _years(ticket: Ticket, now: datetime) -> range:
    # The holidays of the years a ticket's clocks may cross: from its creation to two years on.
    # Most tickets share one span (last year to two years on), so one schedule value and its caches.
    return range(min(ticket.created_at.year, now.year - 1), now.year + 3)


@transaction.atomic
def ticket_sla_refresh(ticket: Ticket, *, now: datetime | None = None) -> None:
    """Bring the ticket's clocks in line with its history and the policy that applies to it now.

    ``ticket`` comes with its requester (the organisation is a condition).
    ``now`` is when clocks no policy targets any more are stopped.
    """
    now = now or timezone.now()
    policies = active_policies()
    policy = None
    desired: list[Clock] = []
    if policies:
        policy = policy_of(ticket, policies)
    if policy is not None:
        history = ticket_history(ticket.pk)
        if history:
            desired = replay(history, policy_terms(policy, ticket.priority, years=_years(ticket, now)))
    existing = {(row.metric, row.cycle): row for row in TicketSla.objects.filter(ticket=ticket)}
    if not desired and not existing:
        return
    _write(ticket, policy, desired, existing, _stored_pauses(existing.values()), now)


def _stored_pauses(rows: Iterable[TicketSla]) -> dict[int, tuple[Period, ...]]:
    """The pauses the database holds for these clocks, by clock: one query, none without clocks."""
    ids = [row.pk for row in rows]
    stored: dict[int, tuple[Period, ...]] = {}
    if ids:
        pauses = SlaPause.objects.filter(target_id__in=ids).order_by("target_id", "started_at", "id")
        for target_id, started_at, ended_at in pauses.values_list("target_id", "started_at", "ended_at"):
            stored[target_id] = (*stored.get(target_id, ()), (started_at, ended_at))
    return stored


def _write(
    ticket: Ticket,
    policy: SlaPolicy | None,
    desired: Sequence[Clock],
    existing: dict[tuple[str, int], TicketSla],
    stored: dict[int, tuple[Period, ...]],
    now: datetime,
) -> None:
    new: list[TicketSla] = []
    changed: list[TicketSla] = []
    kept = list(existing.values())  # changed in place below
    # The pauses each clock written should have; a clock measured or stopped for good keeps its own.
    pauses: list[tuple[TicketSla, tuple[Period, ...]]] = []
    for clock in desired:
        assert policy is not None  # clocks come from a policy's terms
        row = existing.pop((clock.metric, clock.cycle), None)
        if row is None:
            row = TicketSla(ticket=ticket, policy=policy, metric=clock.metric, cycle=clock.cycle, **_times(clock))
            new.append(row)
        elif row.achieved_at is not None and row.achieved_at == clock.achieved_at:
            continue  # measured: it keeps the terms it was measured against
        elif row.stopped_at is not None and row.stopped_at == clock.stopped_at:
            continue  # stopped for good (closed, merged): so it stays
        elif row.policy_id != policy.pk or any(getattr(row, name) != value for name, value in _times(clock).items()):
            row.policy = policy
            for name, value in _times(clock).items():
                setattr(row, name, value)
            changed.append(row)
        pauses.append((row, clock.periods))
    # No policy targets these any more: those still waiting stop (and start again if one does later).
    for row in existing.values():
        if row.achieved_at is None and row.stopped_at is None:
            over = tuple(period for period in stored.get(row.pk, ()) if period[1] is not None)
            if row.paused_since is not None and row.paused_since < now:
                over = (*over, (row.paused_since, now))
            pauses.append((row, over))
            row.stopped_at, row.paused_since = now, None
            changed.append(row)
    if new:
        TicketSla.objects.bulk_create(new)
    if changed:
        TicketSla.objects.bulk_update(changed, CLOCK_FIELDS)
    _pauses_write(pauses, stored)
    counting = [
        row.due_at
        for row in (*kept, *new)
        if row.achieved_at is None and row.stopped_at is None and row.paused_since is None
    ]
    due = min(counting, default=None)
    if due != ticket.sla_due_at:
        # The list's "Breaching soon" order (Ticket.sla_due_at); not a change of the ticket: updated_at stays.
        Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=due)
        ticket.sla_due_at = due
    # The daily attainment the reports read, in this transaction: outcomes and the ticket's dimensions as they are now.
    attainment_recount([ticket.pk], tickets={ticket.pk: ticket})


def _pauses_write(
    wanted: Sequence[tuple[TicketSla, tuple[Period, ...]]], stored: dict[int, tuple[Period, ...]]
) -> None:
    """Replace the pauses of the clocks whose pauses differ from those stored: one DELETE, one INSERT, at most."""
    differing = [(row, periods) for row, periods in wanted if stored.get(row.pk, ()) != periods]
    stale = [row.pk for row, _periods in differing if row.pk in stored]
    if stale:
        SlaPause.objects.filter(target_id__in=stale).delete()
    fresh = [
        SlaPause(target=row, started_at=started_at, ended_at=ended_at)
        for row, periods in differing
        for started_at, ended_at in periods
    ]
    if fresh:
        SlaPause.objects.bulk_create(fresh)


def _times(clock: Clock) -> dict[str, object]:
    return {name: getattr(clock, name) for name in _TIMES}
