"""Rate limits per token and per client address: told on every answer, a 429 with Retry-After past them."""

from __future__ import annotations

import pytest
from django.test import Client

from comptoir.accounts.models import ApiToken
from comptoir.core.models import RateLimitCounter
from comptoir.tickets.models import Ticket
from tests.api.conftest import People, bearer, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.COMPTOIR_API_RATE_LIMIT_PER_TOKEN = 3
    settings.COMPTOIR_API_RATE_LIMIT_PER_IP = 5
    settings.COMPTOIR_API_RATE_LIMIT_WINDOW_SECONDS = 60
    return settings


def headers(response) -> tuple[int, int, int]:
    return (
        int(response["RateLimit-Limit"]),
        int(response["RateLimit-Remaining"]),
        int(response["RateLimit-Reset"]),
    )


def test_every_answer_says_where_the_caller_stands(client, people: People, limits):
    token = token_for(people.agent)
    seen = [headers(client.get("/api/v1/me/", **bearer(token))) for _ in range(3)]
    # The token's limit is the tighter: 3, then 2, 1, 0 left.
    assert [(limit, remaining) for limit, remaining, _reset in seen] == [(3, 2), (3, 1), (3, 0)]
    assert all(1 <= reset <= 60 for _limit, _remaining, reset in seen)


def test_past_the_token_s_limit_a_429_problem_with_retry_after(client, people, limits):
    token = token_for(people.agent)
    for _ in range(3):
        assert client.get("/api/v1/me/", **bearer(token)).status_code == 200
    refused = client.get("/api/v1/me/", **bearer(token))
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert (problem["type"], problem["status"]) == ("/api/v1/problems/rate-limited", 429)
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["RateLimit-Remaining"] == "0"
    assert refused["Retry-After"] in problem["detail"]


def test_a_refused_write_writes_nothing(client, people, limits):
    token = token_for(people.requester_a)
    for _ in range(3):
        client.get("/api/v1/me/", **bearer(token))
    refused = client.post(
        "/api/v1/tickets/", {"subject": "x", "body": "y"}, content_type="application/json", **bearer(token)
    )
    assert refused.status_code == 429
    assert Ticket.objects.count() == 2


def test_each_token_has_its_own_count(client, people, limits):
    first, second = token_for(people.agent), token_for(people.agent)
    for _ in range(3):
        client.get("/api/v1/me/", **bearer(first))
    assert client.get("/api/v1/me/", **bearer(first)).status_code == 429
    assert client.get("/api/v1/me/", **bearer(second)).status_code == 200


def test_the_address_s_limit_counts_every_request_even_bad_tokens(people, limits):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer cpt_000000000000_guess")
        assert response.status_code == 401
    assert headers(response)[:2] == (5, 0)
    refused = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token_for(people.agent)}")
    assert refused.status_code == 429
    # The token was not even read: its "last used" stays empty.
    assert not ApiToken.objects.filter(last_used_at__isnull=False).exists()
    # Another address is not held back by this one.
    assert Client(REMOTE_ADDR="203.0.113.10").get("/api/v1/me/").status_code == 401


def test_counters_keep_no_token_or_address_in_clear(client, people, limits):
    token = token_for(people.agent)
    client.get("/api/v1/me/", **bearer(token))
    keys = list(RateLimitCounter.objects.values_list("key", flat=True))
    assert len(keys) == 2
    assert all("127.0.0.1" not in key and "token:" not in key for key in keys)
