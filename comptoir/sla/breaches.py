"""The breach job: clocks whose due time passed are marked breached, those entering their warning window warned.

Each is raised once, however many workers run the job at once: a worker
claims rows in a transaction, locking them with SELECT ... FOR UPDATE SKIP
LOCKED on PostgreSQL (another worker skips them, and once they are committed
no longer finds them, the claim's condition being re-checked on the row's new
version), and on SQLite, where IMMEDIATE transactions run one at a time, the
second worker's claim starts after the first's commit. The UPDATE repeats the
condition, so a row is never raised twice whatever the backend.

The job only reads the clocks' index (comptoir.sla.models: running clocks by
due time, and by warning time): it never scans tickets, and computes nothing.
The subscriber keeps due_at and warn_at right as tickets change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from comptoir.sla.attainment import attainment_recount
from comptoir.sla.models import RUNNING, TicketSla
from comptoir.tickets.history import ChangeBatch
from comptoir.tickets.models import EventKind

# At most this many clocks of each kind are raised per run; the next run (a minute later) takes the rest.
BATCH = 500


@dataclass
class Raised:
    """The clocks (TicketSla ids) this run raised; no other run raises them."""

    breached: list[int] = field(default_factory=list)
    warned: list[int] = field(default_factory=list)


def breaches_raise(*, now: datetime | None = None, batch: int = BATCH) -> Raised:
    """Mark the running clocks due by ``now`` breached, then warn those whose warning window opened."""
    now = now or timezone.now()
    breached = _claim(
        RUNNING & Q(due_at__lte=now),
        order="due_at",
        column="breached_at",
        kind=EventKind.SLA_BREACH,
        now=now,
        batch=batch,
    )
    # Breached ones are no longer RUNNING: a clock late before it was warned is only breached.
    warning = RUNNING & Q(warned_at__isnull=True, warn_at__lte=now)
    warned = _claim(warning, order="warn_at", column="warned_at", kind=EventKind.SLA_WARNING, now=now, batch=batch)
    return Raised(breached=breached, warned=warned)


def _claim(condition: Q, *, order: str, column: str, kind: str, now: datetime, batch: int) -> list[int]:
    with transaction.atomic():
        claimed = list(
            TicketSla.objects.filter(condition)
            .select_for_update(skip_locked=True)
            .order_by(order)
            .values_list("pk", "ticket_id", "metric", "due_at")[:batch]
        )
        ids = [pk for pk, _, _, _ in claimed]
        if ids:
            TicketSla.objects.filter(condition, pk__in=ids).update(**{column: now})
            # In the claim's transaction: the rows are this run's alone, so each event is recorded once.
            # No actor (the job); the ticket e-mails ignore these kinds (notifications.rules.NOTIFYING_KINDS),
            # the agents' notices hear of them.
            history = ChangeBatch(actor=None)
            for _, ticket_id, metric, due_at in claimed:
                history.record(ticket_id, kind, old=metric, new=due_at.isoformat())
            history.write()
            if column == "breached_at":
                # A breach is an outcome: the reports' daily attainment counts it, in the claim's transaction.
                attainment_recount({ticket_id for _, ticket_id, _, _ in claimed})
        return ids
