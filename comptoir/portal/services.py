"""Writes the requester makes from their own pages."""

from __future__ import annotations

from django.db import transaction

from comptoir.accounts.models import User
from comptoir.tickets.models import Status, Ticket
from comptoir.tickets.services import ticket_set_status
from comptoir.tickets.statuses import ACTIVE_STATUSES


@transaction.atomic
def ticket_solve_by_requester(*, ticket: Ticket, actor: User | None = None) -> bool:
    """The requester says "this is solved": the ticket is solved as if an agent had, and a survey waits.

    Only a ticket still being worked on can be solved this way; returns whether it was.
    ``actor`` is a colleague who said so in the requester's place (None: the requester).
    """
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("requester").get(pk=ticket.pk)
    if ticket.status not in ACTIVE_STATUSES:
        return False
    return ticket_set_status(ticket, Status.SOLVED, actor=actor or ticket.requester)
