from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.core.models import RateLimitCounter, SpentChallenge
from comptoir.core.ratelimit import hit
from comptoir.core.tasks import purge_expired_records
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import TicketAccessToken

pytestmark = pytest.mark.django_db


def test_it_forgets_expired_counters_challenges_and_links_but_keeps_live_ones(make_ticket):
    ticket = make_ticket()
    link_issue(ticket)
    link_issue(ticket)
    TicketAccessToken.objects.filter(pk=TicketAccessToken.objects.first().pk).update(
        last_used_at=timezone.now() - timedelta(days=31)
    )
    hit("test", "1.2.3.4", limit=5, window_seconds=60)
    RateLimitCounter.objects.create(key="old", window_start=timezone.now() - timedelta(days=3), count=9)
    SpentChallenge.objects.create(signature="old", expires_at=timezone.now() - timedelta(minutes=1))
    SpentChallenge.objects.create(signature="live", expires_at=timezone.now() + timedelta(minutes=10))

    assert purge_expired_records() == {
        "rate_limit_counters": 1,
        "spent_challenges": 1,
        "ticket_links": 1,
        "orphan_attachment_files": 0,
        # Raw e-mail files no row names (comptoir.mail.raw_store): none here.
        "orphan_inbound_email_files": 0,
        # Files kept for a form sent back with an error (comptoir.portal.pending): none here.
        "portal_pending_files": 0,
        # The API's (comptoir.api): none was made here.
        "api_idempotency_keys": 0,
        "api_uploads": 0,
        "webhook_deliveries": 0,
        # The Help Center's daily read counts past the "Most read" window (comptoir.helpcenter.reads): none here.
        "article_daily_views": 0,
    }
    assert list(SpentChallenge.objects.values_list("signature", flat=True)) == ["live"]
    assert RateLimitCounter.objects.count() == 1
    assert TicketAccessToken.objects.count() == 1


def test_it_counts_each_identity_separately_within_its_window():
    results = [hit("scope", "a@example.org", limit=2, window_seconds=3600) for _ in range(3)]
    assert results == [True, True, False]
    assert hit("scope", "b@example.org", limit=2, window_seconds=3600) is True
    assert not RateLimitCounter.objects.filter(key__contains="a@example.org").exists()
