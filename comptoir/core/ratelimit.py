"""Fixed-window rate limits counted in the database, shared by every web node."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from comptoir.core.models import RateLimitCounter


def _window_start(now: datetime, window_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=now.tzinfo)


def hit(scope: str, identity: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; True while the identity is within its limit.

    The identity is hashed so that the table holds no addresses in clear.
    """
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:40]
    key = f"{scope}:{digest}"
    start = _window_start(timezone.now(), window_seconds)
    with transaction.atomic():
        updated = RateLimitCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateLimitCounter.objects.create(key=key, window_start=start, count=1)
            except IntegrityError:
                # Another request created the row first; count on it.
                RateLimitCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        count = RateLimitCounter.objects.values_list("count", flat=True).get(key=key, window_start=start)
    return count <= limit


def purge_expired(older_than: timedelta = timedelta(days=2)) -> int:
    deleted, _ = RateLimitCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR only: X-Forwarded-For is set by the client unless a proxy rewrites it."""
    return request.META.get("REMOTE_ADDR") or "unknown"
