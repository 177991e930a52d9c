from __future__ import annotations

from celery import shared_task

from comptoir.rules.automations import automations_run as _automations_run


@shared_task
def automations_run() -> int:
    """The beat job, every 5 minutes: each automation over its candidates; any number may run at once."""
    return _automations_run()
