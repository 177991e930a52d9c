from __future__ import annotations

from celery import shared_task
from django.db import transaction

from comptoir.sla.breaches import breaches_raise
from comptoir.sla.services import ticket_sla_refresh
from comptoir.tickets.models import ACTIVE, Ticket

# Tickets a run of sla_clocks_rebuild brings in line before it queues the next run: a worker is not
# held for minutes by a desk with thousands of waiting tickets, and a restart loses one chunk at most.
REBUILD_CHUNK = 200


@shared_task
def sla_breaches_raise() -> tuple[int, int]:
    """The beat job, every minute: clocks due are breached, those due soon warned; each once, whatever runs at once."""
    raised = breaches_raise()
    return len(raised.breached), len(raised.warned)


@shared_task
def sla_clocks_rebuild(after_id: int = 0) -> int:
    """After an edit of business hours or policies: each waiting ticket's clocks under the terms now in force.

    By chunks of REBUILD_CHUNK tickets in id order, each chunk queuing the
    next; each ticket is refreshed in its own transaction with its row locked,
    as its own changes are, so a reply arriving meanwhile waits its turn.
    Returns how many tickets this run refreshed.
    """
    ids = list(
        Ticket.objects.filter(status__in=ACTIVE, spam=False, pk__gt=after_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:REBUILD_CHUNK]
    )
    for ticket_id in ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update(of=("self",)).select_related("requester").get(pk=ticket_id)
            ticket_sla_refresh(ticket)
    if len(ids) == REBUILD_CHUNK:
        sla_clocks_rebuild.delay(ids[-1])
    return len(ids)
