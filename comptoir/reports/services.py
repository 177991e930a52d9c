"""The one writer of the reports' tables: a ticket's facts and rollups brought up to date, or all rebuilt.

Live (``ticket_facts_refresh``, called by the subscriber for each change): the
ticket's whole history is replayed (comptoir.reports.facts), and the difference
between what it added to the daily rollups before and what it adds now is applied
as increments. Replaying makes the subscriber idempotent: a change handed over
twice finds nothing to add the second time. The increments (UPDATE ... SET n = n + d)
let the changes of many tickets land on the same day's row side by side.

Rebuilt (``reports_rebuild``): the same replay for every ticket, by the batch, and
the rollups summed in memory then written at once, in one transaction, so the page
never reads a half-built table. Run it with the workers stopped, or run it twice:
a change handled while it runs may be counted on the old tables only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from comptoir.reports.facts import DIMENSIONS, Computed, comments_of, events_of, facts_compute, tags_of
from comptoir.reports.models import COUNTS, DailyRollup, TicketFacts
from comptoir.sla.business_time import Schedule
from comptoir.sla.models import BusinessSchedule, SlaPolicy
from comptoir.sla.policies import policy_for
from comptoir.sla.services import active_policies, ticket_facts
from comptoir.tickets.models import Ticket

RollupKey = tuple[object, ...]  # (day, *DIMENSIONS, tag)
Delta = dict[RollupKey, dict[str, int]]
REBUILD_BATCH = 500


class Schedules:
    """The business hours each ticket's first reply is measured in: those of the policy that applies to it.

    Policies are read once; each schedule once per year of creation, with the holidays from then on.
    """

    def __init__(self) -> None:
        self._policies: list[SlaPolicy] | None = None
        self._schedules: dict[tuple[int, int], Schedule] = {}

    def __call__(self, ticket: Ticket) -> Schedule | None:
        if self._policies is None:
            self._policies = [policy for policy in active_policies() if policy.schedule_id is not None]
        if not self._policies:
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


@transaction.atomic
def ticket_facts_refresh(*, ticket_id: int, schedules: Callable[[Ticket], Schedule | None] | None = None) -> None:
    """Bring the ticket's facts and its share of the rollups in line with its history."""
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None:
        return  # deleted: its facts went with it; its past counts stay in the rollups until a rebuild
    stored = TicketFacts.objects.select_for_update().filter(pk=ticket_id).first()
    computed = facts_compute(
        ticket,
        events_of([ticket_id]).get(ticket_id, []),
        comment=comments_of([ticket_id]).get(ticket_id, ""),
        tags=tags_of([ticket_id]).get(ticket_id, []),
        schedule=schedules or Schedules(),
    )
    delta: Delta = defaultdict(lambda: defaultdict(int))
    if stored is not None:
        dimensions = tuple(getattr(stored, name) for name in DIMENSIONS)
        _add(delta, dimensions, stored.tags, stored.contributions, -1)
    _add(delta, computed.dimensions(), computed.tags(), computed.contributions, 1)
    rollups_apply(delta)
    TicketFacts.objects.update_or_create(
        ticket_id=ticket_id, defaults={**computed.fields, "contributions": computed.contributions}
    )


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
    """Add each day's differences to its row, creating the row the first time a combination is seen."""
    for key, counts in delta.items():
        changes = {name: count for name, count in counts.items() if count}
        if not changes:
            continue
        where = _key_fields(key)
        increments = {name: F(name) + count for name, count in changes.items()}
        if DailyRollup.objects.filter(**where).update(**increments):
            continue
        try:
            with transaction.atomic():
                DailyRollup.objects.create(**where, **changes)
        except IntegrityError:
            # Another ticket's change created the row in between: add to it.
            DailyRollup.objects.filter(**where).update(**increments)


def _key_fields(key: RollupKey) -> dict[str, object]:
    return dict(zip(("day", *DIMENSIONS, "tag"), key, strict=True))


def _ticket_batches(size: int) -> Iterator[list[Ticket]]:
    last = 0
    while True:
        batch = list(Ticket.objects.select_related("requester").filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def reports_rebuild(*, progress: Callable[[int, int], None] = lambda done, total: None) -> int:
    """Every ticket's facts and all the rollups, replayed from the events; returns the number of tickets."""
    total = Ticket.objects.count()
    schedules = Schedules()
    rollups: dict[RollupKey, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    done = 0
    with transaction.atomic():
        TicketFacts.objects.all().delete()
        DailyRollup.objects.all().delete()
        for batch in _ticket_batches(REBUILD_BATCH):
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
                rows.append(TicketFacts(ticket_id=ticket.pk, **computed.fields, contributions=computed.contributions))
                for key, counts in _rows(computed.dimensions(), computed.tags(), computed.contributions):
                    row = rollups[key]
                    for name, count in counts.items():
                        row[name] += count
            TicketFacts.objects.bulk_create(rows)
            done += len(batch)
            progress(done, total)
        DailyRollup.objects.bulk_create(
            (DailyRollup(**_key_fields(key), **counts) for key, counts in rollups.items()), batch_size=1000
        )
    return done
