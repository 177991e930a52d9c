"""What pages read of the SLA clocks: one ticket's targets, and the next one due for a page of tickets."""

from __future__ import annotations

from collections.abc import Collection

from comptoir.sla.models import OPEN, TicketSla


def ticket_targets(ticket_id: int) -> list[TicketSla]:
    """Every clock of the ticket, met, stopped or waiting, oldest first, with its policy and pauses.

    For the ticket page: each target, its due time, what became of it and when
    it was paused (``pauses``, oldest first). Next reply has one row per
    requester reply that waited for an answer (``cycle``). One query, and one
    more for the pauses when the ticket has clocks.
    """
    return list(
        TicketSla.objects.filter(ticket_id=ticket_id)
        .select_related("policy")
        .prefetch_related("pauses")
        .order_by("started_at", "id")
    )


def next_due_targets(ticket_ids: Collection[int]) -> dict[int, TicketSla]:
    """For each of the tickets with a target still waiting, the one to show: one query whatever their number.

    The running clock due first; a ticket whose clocks are all paused shows the
    paused one due first (its due time is the one before the pause). For the
    list's badge: breached_at set (or due_at past) is red, warn_at past amber.
    """
    if not ticket_ids:
        return {}
    shown: dict[int, TicketSla] = {}
    rows = TicketSla.objects.filter(OPEN, ticket_id__in=list(ticket_ids))
    for row in rows:
        current = shown.get(row.ticket_id)
        if current is None or _sooner(row, current):
            shown[row.ticket_id] = row
    return shown


def _sooner(row: TicketSla, than: TicketSla) -> bool:
    return (row.paused_since is not None, row.due_at, row.pk) < (than.paused_since is not None, than.due_at, than.pk)
