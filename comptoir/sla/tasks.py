from __future__ import annotations

from celery import shared_task

from comptoir.sla.breaches import breaches_raise


@shared_task
def sla_breaches_raise() -> tuple[int, int]:
    """The beat job, every minute: clocks due are breached, those due soon warned; each once, whatever runs at once."""
    raised = breaches_raise()
    return len(raised.breached), len(raised.warned)
