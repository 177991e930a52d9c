"""The database rate limit: one statement per attempt, counted per identity and window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comptoir.core import ratelimit
from comptoir.core.models import RateLimitCounter

pytestmark = pytest.mark.django_db


def test_it_lets_the_limit_through_and_refuses_the_next_attempt():
    answers = [ratelimit.hit("form", "Alice@Example.org", limit=3, window_seconds=3600) for _ in range(5)]

    assert answers == [True, True, True, False, False]
    # The identity is stored hashed, case and spaces aside: one row for " alice@example.org".
    assert ratelimit.hit("form", " alice@example.org ", limit=6, window_seconds=3600) is True
    (row,) = RateLimitCounter.objects.all()
    assert row.count == 6 and "alice" not in row.key


def test_scopes_identities_and_windows_count_apart(monkeypatch):
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=5))
    assert ratelimit.hit("form", "a@example.org", limit=1, window_seconds=3600)
    assert ratelimit.hit("link", "a@example.org", limit=1, window_seconds=3600)
    assert ratelimit.hit("form", "b@example.org", limit=1, window_seconds=3600)
    assert not ratelimit.hit("form", "a@example.org", limit=1, window_seconds=3600)

    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=65))

    assert ratelimit.hit("form", "a@example.org", limit=1, window_seconds=3600)
    windows: list[datetime] = sorted({row.window_start for row in RateLimitCounter.objects.all()})
    assert windows == [start, start + timedelta(hours=1)]


def test_an_attempt_is_one_statement():
    ratelimit.hit("form", "a@example.org", limit=5, window_seconds=60)

    with CaptureQueriesContext(connection) as captured:
        ratelimit.hit("form", "a@example.org", limit=5, window_seconds=60)

    assert len(captured) == 1
    assert "ON CONFLICT" in captured.captured_queries[0]["sql"]
