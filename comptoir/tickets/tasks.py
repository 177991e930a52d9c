from __future__ import annotations

from celery import shared_task

from comptoir.tickets.services import tickets_close_solved


@shared_task
def close_solved_tickets() -> int:
    """Close solved tickets whose delay has passed; any number of workers may run it at once."""
    return tickets_close_solved()
