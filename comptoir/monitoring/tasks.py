from __future__ import annotations

from celery import shared_task

from comptoir.monitoring.health import beat_seen


@shared_task
def beat_heartbeat() -> None:
    """Scheduled every minute (settings.CELERY_BEAT_SCHEDULE): proves beat and a worker are alive."""
    beat_seen()
