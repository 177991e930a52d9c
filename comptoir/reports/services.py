"""The one writer of the reports' tables: a ticket's facts and rollups brought up to date, or all rebuilt.

Live (``ticket_facts_refresh``, called by the subscriber for each change): what the
change can move is read again, and the difference between what the ticket added to
the daily rollups before and what it adds now is applied as increments. A change that
only moves the ticket (group, assignee, priority, type, tags, requester) moves its
counts as they are; a new ticket's figures come from its creation change; any other
change replays the ticket's history (comptoir.reports.facts). Either way a change
handed over twice finds nothing to add the second time. The increments (one INSERT
... ON CONFLICT DO UPDATE SET n = n + d) let the changes of many tickets land on the
same day's row side by side; the team rollups (TeamRollup) and the backlog totals
(BacklogTotal) take the same differences, so they stay the sums of the rollups.

Rebuilt (``reports_rebuild``): the same replay for every ticket, by the batch, and
the rollups summed in memory then written at once, in one transaction, so the page
never reads a half-built table. Run it with the workers stopped, or run it twice:
a change handled while it runs may be counted on the old tables only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone

from comptoir.core.bulk_rows import rows_insert, rows_summed, writes_held
from comptoir.core.counters import increment
from comptoir.reports.facts import FACT_KINDS, Computed, EventRow, comments_of, events_of, facts_compute
from comptoir.reports.models import COUNTS, BacklogTotal, DailyRollup, TeamRollup, TicketFacts
from comptoir.sla.attainment import attainment_rebuild, team_attainment_refill
from comptoir.sla.business_time import Schedule
from comptoir.sla.models import BusinessSchedule, SlaPolicy
from comptoir.sla.policies import policy_for
from comptoir.sla.services import active_policies, ticket_facts
from comptoir.tickets.dimensions import DIMENSIONS, TEAM_DIMENSIONS, dimensions_of, tags_of
from comptoir.tickets.models import EventKind, Ticket

RollupKey = tuple[object, ...]  # (day, *DIMENSIONS, tag)
Delta = dict[RollupKey, dict[str, int]]
REBUILD_BATCH = 2000


class Schedules:
    """The business hours each ticket's first reply is measured in: those of the policy that applies to it.

    Policies are read once; each schedule once per year of creation, with the holidays from then on.
    """

    def __init__(self) -> None:
        self._policies: list[SlaPolicy] | None = None
        self._schedules: dict[tuple[int, int], Schedule] = {}

    def needed(self) -> bool:
        """Whether any policy has business hours (then which applies depends on the whole ticket)."""
        if self._policies is None:
            self._policies = [policy for policy in active_policies() if policy.schedule_id is not None]
        return bool(self._policies)

    def __call__(self, ticket: Ticket) -> Schedule | None:
        if not self.needed() or self._policies is None:
            return None
        policy = policy_for(ticket_facts(ticket, with_tags=any(p.tag for p in self._policies)), self._policies)
        if policy is None or policy.schedule_id is None:
            return None
        # The holidays of the years from the ticket's creation to next year: a first reply falls in them.
        key = (policy.schedule_id, ticket.created_at.year)
        if key not in self._schedules:
            stored = BusinessSchedule.objects.prefetch_related("ranges", "closed_days").get(pk=policy.schedule_id)
            self._schedules[key] = stored.business_schedule(range(key[1], timezone.now().year + 2))
        return self._schedules[key]


# Changes that only move the dimensions a ticket is counted under: its counts move with it, no replay needed.
DIMENSION_KINDS = frozenset(
    {
        EventKind.ASSIGNEE,
        EventKind.GROUP,
        EventKind.PRIORITY,
        EventKind.TYPE,
        EventKind.TAG_ADDED,
        EventKind.TAG_REMOVED,
        EventKind.REQUESTER_CHANGED,
    }
)
_TAG_KINDS = frozenset({EventKind.TAG_ADDED, EventKind.TAG_REMOVED})
# What can change the comment kept with the rating (a survey answered, or moved by a merge).
_COMMENT_KINDS = frozenset({EventKind.SATISFACTION, EventKind.MERGED_INTO, EventKind.MERGED_FROM})


@transaction.atomic
def ticket_facts_refresh(
    *,
    ticket_id: int,
    change: Sequence[EventRow] | None = None,
    schedules: Callable[[Ticket], Schedule | None] | None = None,
) -> None:
    """Bring the ticket's facts and its share of the rollups in line with its history.

    ``change``: the events of the change at hand (the subscriber's), so that only what they can
    move is read again: a change of group, assignee, priority, type, tags or requester moves the
    ticket's counts to its new dimensions without replaying its history; a new ticket's history is
    its creation change; otherwise the ticket's events are replayed. Without it, everything is read.
    """
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None:
        return  # deleted: its facts went with it; its past counts stay in the rollups until a rebuild
    stored = TicketFacts.objects.select_for_update().filter(pk=ticket_id).first()
    kinds = None if change is None else frozenset(event[0] for event in change)
    if stored is not None and kinds is not None and kinds <= DIMENSION_KINDS:
        _dimensions_move(ticket, stored, with_tags=bool(kinds & _TAG_KINDS))
        return
    if stored is None and kinds is not None and EventKind.CREATED in kinds:
        # The ticket's first change: its history so far. Later changes are handled after it, in order.
        events: list[EventRow] = [event for event in change or () if event[0] in FACT_KINDS]
        comment = ""
        tags = tags_of([ticket_id]).get(ticket_id, []) if kinds & _TAG_KINDS else []
    else:
        events = events_of([ticket_id]).get(ticket_id, [])
        if stored is None or kinds is None or kinds & _COMMENT_KINDS:
            comment = comments_of([ticket_id]).get(ticket_id, "")
        else:
            comment = stored.comment
        if stored is None or kinds is None or kinds & _TAG_KINDS:
            tags = tags_of([ticket_id]).get(ticket_id, [])
        else:
            tags = list(stored.tags)
    computed = facts_compute(ticket, events, comment=comment, tags=tags, schedule=schedules or Schedules())
    delta: Delta = defaultdict(lambda: defaultdict(int))
    if stored is not None:
        _add(delta, tuple(getattr(stored, name) for name in DIMENSIONS), stored.tags, stored.contributions, -1)
    _add(delta, computed.dimensions(), computed.tags(), computed.contributions, 1)
    rollups_apply(delta)
    fields = {**computed.fields, "contributions": computed.contributions}
    if stored is None:
        TicketFacts.objects.create(ticket_id=ticket_id, **fields)
    else:
        TicketFacts.objects.filter(pk=ticket_id).update(**fields)


def _dimensions_move(ticket: Ticket, stored: TicketFacts, *, with_tags: bool) -> None:
    """The ticket's counts taken from the rows of its old dimensions (and tags) and added to its new ones."""
    fields = dimensions_of(ticket)
    tags = list(stored.tags)
    # A ticket that counts nowhere (spam) keeps no tags, as the replay gives it none.
    if with_tags and stored.contributions:
        tags = sorted(tags_of([ticket.pk]).get(ticket.pk, []))
    delta: Delta = defaultdict(lambda: defaultdict(int))
    _add(delta, tuple(getattr(stored, name) for name in DIMENSIONS), stored.tags, stored.contributions, -1)
    _add(delta, tuple(fields[name] for name in DIMENSIONS), tags, stored.contributions, 1)
    rollups_apply(delta)
    TicketFacts.objects.filter(pk=ticket.pk).update(**fields, tags=tags)


def _add(
    delta: Delta,
    dimensions: tuple[object, ...],
    tags: Sequence[int],
    contributions: dict[str, dict[str, int]],
    sign: int,
) -> None:
    for key, counts in _rows(dimensions, tags, contributions):
        for name, count in counts.items():
            delta[key][name] += sign * count


def _rows(
    dimensions: tuple[object, ...], tags: Sequence[int], contributions: dict[str, dict[str, int]]
) -> Iterator[tuple[RollupKey, dict[str, int]]]:
    """Each rollup row a ticket's counts go to: every ticket's (tag 0), then each of its tags'."""
    for day, counts in contributions.items():
        for tag in (0, *tags):
            yield (date.fromisoformat(day), *dimensions, tag), counts


def rollups_apply(delta: Delta) -> None:
    """Add each day's differences to its row, creating the rows of combinations not seen yet, the same
    differences to the team rollups' rows, and the backlog's difference to the combination's total: one
    statement each (none for a table whose rows do not move).

    INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite alike): rows added by another ticket's change
    in between are added to, not duplicated. The rows go in key order, so two changes lock them in one order;
    the team rows, shared by the most tickets, are written last, held the shortest before the commit.
    """
    rows = []
    team: Delta = defaultdict(lambda: defaultdict(int))
    backlog: dict[RollupKey, int] = defaultdict(int)
    for key, counts in sorted(delta.items(), key=lambda item: _ordered(item[0])):
        if any(counts.values()):
            rows.append((*key, *(counts.get(name, 0) for name in COUNTS)))
            team_counts = team[_team_key(key)]
            for name, count in counts.items():
                team_counts[name] += count
            backlog[key[1:]] += counts.get("entered", 0) - counts.get("left", 0)
    increment(DailyRollup, key=("day", *DIMENSIONS, "tag"), counts=COUNTS, rows=rows)
    totals = sorted(((*key, n) for key, n in backlog.items() if n), key=_ordered)
    increment(BacklogTotal, key=(*DIMENSIONS, "tag"), counts=("backlog",), rows=totals)
    team_rows = sorted(
        ((*key, *(counts.get(name, 0) for name in COUNTS)) for key, counts in team.items() if any(counts.values())),
        key=_ordered,
    )
    increment(TeamRollup, key=_TEAM_KEY, counts=COUNTS, rows=team_rows)


def _ordered(key: Sequence[object]) -> tuple[str, ...]:
    return tuple(str(part) for part in key)


# A rollup key's positions of what TeamRollup keeps, and TeamRollup's key in that order.
_TEAM_KEY = ("tag", "day", *TEAM_DIMENSIONS)
_TEAM_POSITIONS = tuple(("day", *DIMENSIONS, "tag").index(name) for name in _TEAM_KEY)


def _team_key(key: RollupKey) -> RollupKey:
    return tuple(key[position] for position in _TEAM_POSITIONS)


def _key_fields(key: RollupKey) -> dict[str, object]:
    return dict(zip(("day", *DIMENSIONS, "tag"), key, strict=True))


# What the replay reads of a ticket (comptoir.reports.facts.dimensions_of), when no policy's hours need the rest.
_REPLAYED = ("created_at", "group_id", "assignee_id", "channel", "type", "priority", "language")


def _ticket_batches(size: int, *, whole: bool) -> Iterator[list[Ticket]]:
    """The tickets by the batch, in id order; only the columns the replay reads unless ``whole``."""
    last = 0
    tickets = Ticket.objects.select_related("requester")
    if not whole:
        tickets = tickets.only(*_REPLAYED, "requester__organisation_id")
    while True:
        batch = list(tickets.filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def reports_rebuild(*, progress: Callable[[int, int], None] = lambda done, total: None) -> int:
    """Every ticket's facts and all the rollups, replayed from the events, and the service level attainment
    counted again from the clocks (comptoir.sla.attainment); returns the number of tickets.

    ``progress`` is told (done, total) tickets after each batch, in two passes: the events, then the clocks;
    (0, total) starts each pass.
    """
    total = Ticket.objects.count()
    schedules = Schedules()
    rollups: dict[RollupKey, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    done = 0
    with transaction.atomic():
        TicketFacts.objects.all().delete()
        # In the order the live writer (rollups_apply) locks them: the two never wait on each other in a cycle.
        DailyRollup.objects.all().delete()
        BacklogTotal.objects.all().delete()
        TeamRollup.objects.all().delete()
        progress(0, total)
        for batch in _ticket_batches(REBUILD_BATCH, whole=schedules.needed()):
            ids = [ticket.pk for ticket in batch]
            events, comments, tags = events_of(ids), comments_of(ids), tags_of(ids)
            rows = []
            for ticket in batch:
                computed: Computed = facts_compute(
                    ticket,
                    events.get(ticket.pk, []),
                    comment=comments.get(ticket.pk, ""),
                    tags=tags.get(ticket.pk, []),
                    schedule=schedules,
                )
                rows.append({"ticket": ticket.pk, **computed.fields, "contributions": computed.contributions})
                for key, counts in _rows(computed.dimensions(), computed.tags(), computed.contributions):
                    row = rollups[key]
                    for name, count in counts.items():
                        row[name] += count
            rows_insert(TicketFacts, rows)
            done += len(batch)
            progress(done, total)
        rows_insert(DailyRollup, ({**_key_fields(key), **counts} for key, counts in rollups.items()))
        _team_rollups_from_full()
        rows_insert(BacklogTotal, backlog_totals(rollups))
        clocked = 0
        progress(0, total)

        def clocks_done(count: int) -> None:
            nonlocal clocked
            clocked += count
            progress(clocked, total)

        # In the same transaction: the page never reads half-built tables.
        attainment_rebuild(progress=clocks_done)
    return done


def backlog_totals(rollups: dict[RollupKey, dict[str, int]]) -> Iterator[dict[str, object]]:
    """The BacklogTotal rows of these rollups: each combination's entered less left over all its days."""
    totals: dict[RollupKey, int] = defaultdict(int)
    for key, counts in rollups.items():
        totals[key[1:]] += counts["entered"] - counts["left"]
    for key, backlog in totals.items():
        yield {**dict(zip((*DIMENSIONS, "tag"), key, strict=True)), "backlog": backlog}


@transaction.atomic
def team_rollups_refill() -> tuple[int, int]:
    """TeamRollup and TeamAttainment made again from the full rollups (DailyRollup, DailyAttainment), in one
    transaction; returns the number of rows of each.

    For an upgrade without downtime: code that knew nothing of the team rows may have moved the full
    rollups between the migration that made them and its restart. Seconds at a million tickets; the
    writers of the full rollups wait for it, so none moves them meanwhile.
    """
    writes_held(DailyRollup)
    return _team_rollups_from_full(), team_attainment_refill()


def _team_rollups_from_full() -> int:
    """TeamRollup written again as DailyRollup added up per day, group, agent and tag; returns its rows."""
    return rows_summed(DailyRollup, TeamRollup, _TEAM_KEY, COUNTS)
