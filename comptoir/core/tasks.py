from __future__ import annotations

from celery import shared_task

from comptoir.core.purge import purge_all


@shared_task
def purge_expired_records() -> dict[str, int]:
    """Forget what no longer protects anything: old counters, spent challenges, dead links."""
    return purge_all()
