"""Fixed-window rate limits counted in the database, shared by every web node."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone

from comptoir.core.counters import increment
from comptoir.core.models import RateLimitCounter


def _window_start(now: datetime, window_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=now.tzinfo)


def hit(scope: str, identity: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; True while the identity is within its limit.

    The identity is hashed so that the table holds no addresses in clear.
    """
    return hit_window(scope, identity, limit=limit, window_seconds=window_seconds).allowed


@dataclass(frozen=True)
class Window:
    """Where an identity stands in its current window, for callers that tell (the API's RateLimit-* headers)."""

    limit: int
    count: int
    resets_at: datetime

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    def seconds_left(self, now: datetime | None = None) -> int:
        """Whole seconds until the window resets, at least 1."""
        return max(math.ceil((self.resets_at - (now or timezone.now())).total_seconds()), 1)


def hit_window(scope: str, identity: str, *, limit: int, window_seconds: int) -> Window:
    """Count one attempt, and say where the identity stands: one statement, as ``hit``."""
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:40]
    key = f"{scope}:{digest}"
    start = _window_start(timezone.now(), window_seconds)
    return Window(limit=limit, count=_count_one(key, start), resets_at=start + timedelta(seconds=window_seconds))


def _count_one(key: str, start: datetime) -> int:
    """Add one to the window's counter and read it back, in one statement (comptoir.core.counters):
    two requests at once both count, with no transaction around an UPDATE, an INSERT and a SELECT."""
    ((count,),) = increment(
        RateLimitCounter, key=("key", "window_start"), counts=("count",), rows=[(key, start, 1)], returning=("count",)
    )
    return int(count)


def purge_expired(older_than: timedelta = timedelta(days=2)) -> int:
    deleted, _ = RateLimitCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, which comptoir.core.proxies sets from X-Forwarded-For
    only when the request came through a trusted proxy (COMPTOIR_TRUSTED_PROXIES); from anyone
    else that header is the client's own claim and is never read."""
    return request.META.get("REMOTE_ADDR") or "unknown"
