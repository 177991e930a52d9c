"""How long work that failed waits before its next attempt: one clock for e-mail and the event backbone."""

from __future__ import annotations

from datetime import timedelta


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, then 1 min, 2 min... capped at an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))
