"""Daily service level attainment (DailyAttainment and its team rows, TeamAttainment), kept by the clocks' writers.

The reports add these rows up instead of reading a range's clocks. They cannot be kept by the
reports' subscriber: clocks move in the SLA subscriber's transactions, in the breach job's, and
in a policy edit's re-targeting, none of which the reports hear of. So every place that moves a
clock's outcome, or the ticket it is counted under, calls ``attainment_recount`` in its transaction:

- comptoir.sla.services._write: every refresh of a ticket's clocks (a change of the ticket, and the
  re-targeting after a policy or schedule edit);
- comptoir.sla.breaches._claim: the breach job marking clocks breached;
- comptoir.sla.subscriber: a change of assignee, which moves no clock but the ticket's counts;

and a ticket's deletion takes its counts away (``attainment_forget``, on Django's pre_delete of its
AttainmentCounted row: the ticket is deleted by the tickets layer, which cannot call this one).

A recount reads the ticket's AttainmentCounted row (locked: the breach job and the subscriber may
recount one ticket at once), its clocks and its dimensions now, and adds to the rollups the
difference between what it counted before and what it counts now: a recount repeated adds nothing,
so the rollups stay equal to a computation from the clocks (the rules of comptoir.reports.sla):

- met: achieved at or before its due time, never marked breached: counted on the day it was achieved;
- breached: marked breached, or achieved after its due time: counted on the day it was due;
- waiting, or stopped without being met: counted nowhere.

A day is a day in the team's time zone (settings.TIME_ZONE), as the reports' days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from comptoir.core.bulk_rows import rows_delete_all, rows_insert, rows_summed, writes_held
from comptoir.core.counters import increment
from comptoir.sla.models import AttainmentCounted, DailyAttainment, TeamAttainment, TicketSla
from comptoir.tickets.dimensions import DIMENSIONS, TEAM_DIMENSIONS, tags_of
from comptoir.tickets.dimensions import dimensions_of as ticket_dimensions
from comptoir.tickets.models import Ticket

# "<day> <policy id> <metric>" -> [met, breached]
Counts = dict[str, list[int]]
# (day, *dimensions, tag, policy id, metric) -> [met, breached]
Delta = dict[tuple[object, ...], list[int]]
_CLOCK_COLUMNS = ("ticket_id", "policy_id", "metric", "due_at", "achieved_at", "breached_at")
_TICKET_COLUMNS = ("pk", "group_id", "assignee_id", "channel", "type", "priority", "language")
REBUILD_BATCH = 2000


def outcome(
    due_at: datetime, achieved_at: datetime | None, breached_at: datetime | None
) -> tuple[int, datetime] | None:
    """(0 met / 1 breached, when it was decided), or None while the target waits or once stopped unmet."""
    if breached_at is not None or (achieved_at is not None and achieved_at > due_at):
        return 1, due_at
    if achieved_at is not None:
        return 0, achieved_at
    return None


def _counts(clocks: Iterable[tuple[Any, ...]]) -> Counts:
    """What these clocks (policy id, metric, due, achieved, breached) add up to, by day, policy and metric."""
    zone = ZoneInfo(settings.TIME_ZONE)
    counts: Counts = {}
    for policy_id, metric, due_at, achieved_at, breached_at in clocks:
        decided = outcome(due_at, achieved_at, breached_at)
        if decided is None:
            continue
        which, at = decided
        key = f"{at.astimezone(zone).date().isoformat()} {policy_id} {metric}"
        counts.setdefault(key, [0, 0])[which] += 1
    return counts


def dimensions_of(ticket: Ticket) -> tuple[object, ...]:
    """The ticket's dimensions as the reports count it now, in DIMENSIONS' order."""
    return tuple(ticket_dimensions(ticket).values())


def _dimensions(ticket_ids: Collection[int]) -> dict[int, tuple[object, ...]]:
    rows = Ticket.objects.filter(pk__in=list(ticket_ids)).values_list(*_TICKET_COLUMNS, "requester__organisation_id")
    return {
        pk: (group or 0, assignee or 0, *named, organisation or 0) for pk, group, assignee, *named, organisation in rows
    }


def _clocks(ticket_ids: Collection[int]) -> dict[int, Counts]:
    rows = TicketSla.objects.filter(ticket_id__in=list(ticket_ids)).values_list(*_CLOCK_COLUMNS)
    by_ticket: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for ticket_id, *clock in rows:
        by_ticket[ticket_id].append(tuple(clock))
    return {ticket_id: _counts(clocks) for ticket_id, clocks in by_ticket.items()}


def _add(delta: Delta, dimensions: Iterable[object], tags: Iterable[int], counts: Counts, sign: int) -> None:
    dimensions = tuple(dimensions)
    for key, (met, breached) in counts.items():
        day, policy, metric = key.split(" ")
        for tag in (0, *tags):
            row = delta.setdefault((date.fromisoformat(day), *dimensions, tag, int(policy), metric), [0, 0])
            row[0] += sign * met
            row[1] += sign * breached


_KEY = ("day", *DIMENSIONS, "tag", "policy", "metric")
# TeamAttainment's key, and where its parts are in a DailyAttainment key.
_TEAM_KEY = ("tag", "day", *TEAM_DIMENSIONS, "policy", "metric")
_TEAM_POSITIONS = tuple(_KEY.index(name) for name in _TEAM_KEY)


def _team(delta: Delta) -> Delta:
    """The same differences per day, group, agent, tag, policy and metric (TeamAttainment's rows)."""
    team: Delta = {}
    for key, (met, breached) in delta.items():
        row = team.setdefault(tuple(key[position] for position in _TEAM_POSITIONS), [0, 0])
        row[0] += met
        row[1] += breached
    return team


def _ordered_rows(delta: Delta) -> list[tuple[object, ...]]:
    """The rows that move, sorted by the text of each key's parts ("10" before "9"): not the table's order,
    but one order every writer uses, so two writers lock the rows they share in the same order and never
    wait on each other in a cycle."""
    return [
        (*key, met, breached)
        for key, (met, breached) in sorted(delta.items(), key=lambda item: tuple(str(part) for part in item[0]))
        if met or breached
    ]


def _apply(delta: Delta) -> None:
    """The differences added to their rows, and to the team rows (shared by more tickets: written last, held
    the shortest before the commit): 2 statements, 1 when the team rows do not move."""
    counts = ("met", "breached")
    increment(DailyAttainment, key=_KEY, counts=counts, rows=_ordered_rows(delta))
    increment(TeamAttainment, key=_TEAM_KEY, counts=counts, rows=_ordered_rows(_team(delta)))


def _stored(row: AttainmentCounted) -> tuple[tuple[object, ...], list[int], Counts]:
    return tuple(getattr(row, name) for name in DIMENSIONS), list(row.tags), dict(row.counts)


def attainment_recount(ticket_ids: Collection[int], *, tickets: Mapping[int, Ticket] | None = None) -> None:
    """Bring what these tickets' clocks add to the daily attainment in line with the clocks and the tickets now.

    Inside the caller's transaction (the clocks' writer's). ``tickets``: those at hand, with their
    requester, so that their dimensions are not read again. 2 queries while no clock of theirs has an
    outcome (the counted rows, locked; the clocks); then 1 more for their tags (and their dimensions
    unless given), and when something moved, 2 for the rollups (daily and team rows) and 1 for the
    counted rows; 3 more the first time a ticket counts.
    """
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    with transaction.atomic(savepoint=False):
        counted = _locked(ids)
        clocks = _clocks(ids)
        missing = [pk for pk in ids if pk not in counted and clocks.get(pk)]
        if missing:
            # Created empty then locked: a writer that got there first (and counted) is waited for and read;
            # the clocks are read again after the lock, as that writer left them.
            AttainmentCounted.objects.bulk_create(
                [AttainmentCounted(ticket_id=pk) for pk in missing], ignore_conflicts=True
            )
            counted.update(_locked(missing))
            clocks = _clocks(ids)
        # A ticket that counted nothing and counts nothing now has nothing to move, whatever its dimensions.
        moving = [pk for pk, row in counted.items() if row.counts or clocks.get(pk)]
        if not moving:
            return
        given = tickets or {}
        dimensions = {pk: dimensions_of(given[pk]) for pk in moving if pk in given}
        if len(dimensions) < len(moving):
            dimensions.update(_dimensions([pk for pk in moving if pk not in dimensions]))
        tags = tags_of(list(moving))
        delta: Delta = {}
        changed = []
        for pk in moving:
            row = counted[pk]
            if pk not in dimensions:
                continue  # deleted meanwhile: attainment_forget took its counts away
            now = (dimensions[pk], tags.get(pk, []), clocks.get(pk, {}))
            before = _stored(row)
            if now == before:
                continue
            _add(delta, *before, -1)
            _add(delta, *now, 1)
            for name, value in zip(DIMENSIONS, now[0], strict=True):
                setattr(row, name, value)
            row.tags, row.counts = now[1], now[2]
            changed.append(row)
        _apply(delta)
        if changed:
            AttainmentCounted.objects.bulk_update(changed, [*DIMENSIONS, "tags", "counts"])


def _locked(ids: list[int]) -> dict[int, AttainmentCounted]:
    rows = AttainmentCounted.objects.select_for_update().filter(ticket_id__in=ids).order_by("ticket_id")
    return {row.ticket_id: row for row in rows}


def attainment_forget(counted: AttainmentCounted) -> None:
    """A deleted ticket's counts taken away from the rollups (called on pre_delete of its row)."""
    current = AttainmentCounted.objects.select_for_update().filter(pk=counted.pk).first()
    if current is None:
        return
    delta: Delta = {}
    _add(delta, *_stored(current), -1)
    _apply(delta)


def attainment_rebuild(*, progress: Callable[[int], None] = lambda done: None) -> int:
    """The rollups and every ticket's counted row, from the clocks: returns the number of tickets with clocks.

    Run inside the caller's transaction (reports_rebuild), so that the page never reads a half-built table.
    ``progress`` is told how many tickets each batch covered.
    """
    # In the order a recount locks them (its counted row first): the two never wait on each other in a cycle.
    rows_delete_all(AttainmentCounted)
    rows_delete_all(DailyAttainment)
    rows_delete_all(TeamAttainment)
    totals: Delta = {}
    counted = 0
    for ids, dimensions in _ticket_batches(REBUILD_BATCH):
        clocks = _clocks(ids)
        tags = tags_of(list(clocks))
        records = []
        for pk in ids:
            if pk not in clocks:
                continue
            ticket_tags = tags.get(pk, [])
            records.append(
                {
                    "ticket": pk,
                    **dict(zip(DIMENSIONS, dimensions[pk], strict=True)),
                    "tags": ticket_tags,
                    "counts": clocks[pk],
                }
            )
            _add(totals, dimensions[pk], ticket_tags, clocks[pk], 1)
        rows_insert(AttainmentCounted, records)
        counted += len(records)
        progress(len(ids))
    rows_insert(
        DailyAttainment,
        (
            {**dict(zip(_KEY, key, strict=True)), "met": met, "breached": breached}
            for key, (met, breached) in totals.items()
            if met or breached
        ),
    )
    _team_from_daily()
    return counted


def team_attainment_refill() -> int:
    """TeamAttainment made again from DailyAttainment, in the caller's transaction; returns its number of rows.

    The clocks' writers wait for it: none moves the daily rows between their reading and the team rows' writing.
    """
    writes_held(DailyAttainment)
    return _team_from_daily()


def _team_from_daily() -> int:
    """TeamAttainment written again as DailyAttainment added up per day, group, agent and tag; returns its rows."""
    return rows_summed(DailyAttainment, TeamAttainment, _TEAM_KEY, ("met", "breached"))


def _ticket_batches(size: int) -> Iterator[tuple[list[int], dict[int, tuple[object, ...]]]]:
    """Every ticket's id and dimensions, by the batch in id order."""
    last = 0
    tickets = Ticket.objects.order_by("pk").values_list(*_TICKET_COLUMNS, "requester__organisation_id")
    while True:
        batch = list(tickets.filter(pk__gt=last)[:size])
        if not batch:
            return
        dimensions = {
            pk: (group or 0, assignee or 0, *named, organisation or 0)
            for pk, group, assignee, *named, organisation in batch
        }
        yield [row[0] for row in batch], dimensions
        last = batch[-1][0]
