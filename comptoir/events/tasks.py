from __future__ import annotations

from celery import shared_task

from comptoir.events.dispatch import dispatch_ticket, stalled_ticket_ids


@shared_task(acks_late=True)
def dispatch_ticket_events(ticket_id: int) -> int:
    """Hand the ticket's owed changes to their subscribers; failures wait for the beat job's retry."""
    return dispatch_ticket(ticket_id).done


@shared_task
def dispatch_stalled_events() -> int:
    """The beat job: changes whose task was lost, or whose retry is due, are handed on again."""
    ticket_ids = stalled_ticket_ids()
    for ticket_id in ticket_ids:
        dispatch_ticket_events.delay(ticket_id)
    return len(ticket_ids)
