"""Personal API tokens: random, kept only as a hash, found by their public prefix, refused with a reason."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.utils import timezone

from comptoir.accounts.api_tokens import (
    MAX_LIVE_TOKENS,
    TokenState,
    TooManyTokens,
    api_token_check,
    api_token_create,
    api_token_revoke,
)
from comptoir.accounts.models import ApiScope, ApiToken, Role, User
from comptoir.accounts.services import email_address_record
from comptoir.tickets.models import Ticket
from tests.api.conftest import bearer, expired_token, revoked_token, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(db) -> User:
    return User.objects.create_user("agent@example.com", name="Camille", role=Role.AGENT)


def test_a_token_is_kept_only_as_the_hash_of_its_secret(agent):
    made = api_token_create(owner=agent, name="CRM", scope=ApiScope.READ)
    row = ApiToken.objects.get(pk=made.token.pk)
    assert made.secret.startswith(f"cpt_{row.prefix}_")
    assert row.secret_hash == hashlib.sha256(made.secret.encode()).hexdigest()
    secret_part = made.secret.removeprefix(f"cpt_{row.prefix}_")
    stored = [str(value) for value in ApiToken.objects.filter(pk=row.pk).values().get().values()]
    assert not any(secret_part in value for value in stored)


def test_a_secret_holds_well_over_128_random_bits(agent):
    secrets = {api_token_create(owner=agent, name=str(n), scope=ApiScope.READ).secret for n in range(5)}
    assert len(secrets) == 5
    for secret in secrets:
        # "cpt_" + 12 hex digits + "_" + 43 URL-safe characters (32 random bytes: 256 bits).
        assert len(secret) == 4 + 12 + 1 + 43


def test_a_live_token_opens_the_api_and_notes_when_it_was_used(client, agent):
    secret = token_for(agent)
    assert ApiToken.objects.get().last_used_at is None
    response = client.get("/api/v1/me/", **bearer(secret))
    assert response.status_code == 200
    assert response.json()["email"] == agent.email
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    # Within the minute "last used" is not written again: no write per request.
    client.get("/api/v1/me/", **bearer(secret))
    assert ApiToken.objects.get().last_used_at == first


@pytest.mark.parametrize(
    ("make", "kind", "detail"),
    [
        (revoked_token, "token-revoked", "This token was revoked by its owner."),
        (expired_token, "token-expired", "This token has expired."),
    ],
)
def test_a_revoked_or_expired_token_gets_401_saying_why(client, agent, make, kind, detail):
    response = client.get("/api/v1/tickets/", **bearer(make(agent)))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "type": f"/api/v1/problems/{kind}",
        "title": response.json()["title"],
        "status": 401,
        "detail": detail,
    }


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer cpt_ two",
        "Bearer not-a-token",
        "Bearer cpt_000000000000_wrongsecret",
        "Bearer " + "cpt_" + "x" * 200,
    ],
)
def test_a_token_that_is_none_of_ours_gets_401(client, agent, header):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["type"] == "/api/v1/problems/invalid-token"


def test_the_right_prefix_with_a_wrong_secret_is_refused(client, agent):
    secret = token_for(agent)
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    assert api_token_check(forged).state is TokenState.UNKNOWN
    assert client.get("/api/v1/me/", **bearer(forged)).status_code == 401


def test_a_closed_account_takes_its_tokens_with_it(client, agent):
    secret = token_for(agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    response = client.get("/api/v1/me/", **bearer(secret))
    assert (response.status_code, response.json()["type"]) == (401, "/api/v1/problems/invalid-token")


def test_a_read_only_token_reads_and_writes_nothing(client, agent, make_ticket):
    ticket = make_ticket()
    secret = token_for(agent, ApiScope.READ)
    assert client.get(f"/api/v1/tickets/{ticket.reference}/", **bearer(secret)).status_code == 200
    response = client.patch(
        f"/api/v1/tickets/{ticket.reference}/",
        {"priority": "urgent"},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 403
    assert response.json()["type"] == "/api/v1/problems/read-only-token"
    ticket.refresh_from_db()
    assert ticket.priority == "normal"


def test_revoking_stops_the_token_at_once_and_only_once(client, agent):
    made = api_token_create(owner=agent, name="CRM", scope=ApiScope.WRITE)
    assert client.get("/api/v1/me/", **bearer(made.secret)).status_code == 200
    assert api_token_revoke(token=made.token) is True
    assert api_token_revoke(token=made.token) is False
    assert client.get("/api/v1/me/", **bearer(made.secret)).status_code == 401


def test_an_account_holds_a_bounded_number_of_live_tokens(agent):
    for n in range(MAX_LIVE_TOKENS):
        api_token_create(owner=agent, name=str(n), scope=ApiScope.READ)
    with pytest.raises(TooManyTokens):
        api_token_create(owner=agent, name="one more", scope=ApiScope.READ)
    # A revoked or expired token no longer counts.
    api_token_revoke(token=ApiToken.objects.first())
    api_token_create(owner=agent, name="one more", scope=ApiScope.READ)
    ApiToken.objects.filter(name="0").update(expires_at=timezone.now() - timedelta(days=1))
    ApiToken.objects.filter(name="1").update(expires_at=timezone.now() - timedelta(days=1))
    api_token_create(owner=agent, name="and another", scope=ApiScope.READ)


def test_the_token_s_access_is_its_owner_s_today(client, agent, make_ticket):
    """An agent moved back to requester loses the agent's reach with the same token."""
    ticket = make_ticket()
    secret = token_for(agent)
    assert client.get(f"/api/v1/tickets/{ticket.reference}/", **bearer(secret)).status_code == 200
    agent.role = Role.REQUESTER
    agent.save(update_fields=["role"])
    email_address_record(user=agent, verified=True)
    assert client.get(f"/api/v1/tickets/{ticket.reference}/", **bearer(secret)).status_code == 404
    assert Ticket.objects.count() == 1


def test_an_agents_token_is_refused_while_agents_must_use_a_second_factor_they_lack(api, people, settings):
    """A token made before the rule (or before its owner became an agent) is no way around it."""
    token = token_for(people.agent)
    assert api("get", "/api/v1/me/", token).status_code == 200

    settings.COMPTOIR_REQUIRE_AGENT_2FA = True
    refused = api("get", "/api/v1/me/", token)
    assert refused.status_code == 403
    assert refused.json()["type"] == "/api/v1/problems/two-factor-required"

    Authenticator.objects.create(user=people.agent, type=Authenticator.Type.TOTP, data={})
    assert api("get", "/api/v1/me/", token).status_code == 200
    # A requester has no second factor to set up: their token is not concerned.
    assert api("get", "/api/v1/me/", token_for(people.requester_a)).status_code == 200
