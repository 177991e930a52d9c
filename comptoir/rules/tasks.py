from __future__ import annotations

from celery import shared_task

from comptoir.rules.assignment import assignment_catch_up
from comptoir.rules.automations import automations_run as _automations_run


@shared_task
def automations_run() -> int:
    """The beat job, every 5 minutes: each automation over its candidates; any number may run at once."""
    return _automations_run()


@shared_task
def assign_waiting_tickets() -> int:
    """The beat job, every 5 minutes: tickets left unassigned while their team was closed or away."""
    return assignment_catch_up()
