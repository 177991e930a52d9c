"""What the periodic purge forgets: each app registers the records that stop protecting anything.

Core knows no app above it: tickets registers its dead links from its AppConfig.ready.
"""

from __future__ import annotations

from collections.abc import Callable

from comptoir.core.captcha import purge_spent
from comptoir.core.ratelimit import purge_expired

# A name (the key of the job's result) and a function returning how many rows it deleted.
_PURGERS: dict[str, Callable[[], int]] = {
    "rate_limit_counters": purge_expired,
    "spent_challenges": purge_spent,
}


def purger(name: str, function: Callable[[], int]) -> None:
    _PURGERS[name] = function


def purge_all() -> dict[str, int]:
    return {name: function() for name, function in _PURGERS.items()}
