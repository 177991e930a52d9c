from __future__ import annotations

from celery import shared_task

from comptoir.core.captcha import purge_spent
from comptoir.core.ratelimit import purge_expired
from comptoir.tickets.links import links_purge_expired


@shared_task
def purge_expired_records() -> dict[str, int]:
    """Forget what no longer protects anything: old counters, spent challenges, dead links."""
    return {
        "rate_limit_counters": purge_expired(),
        "spent_challenges": purge_spent(),
        "ticket_links": links_purge_expired(),
    }
