"""The API's people: two requesters (A and B) with a ticket each, an agent, an administrator, and their tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from comptoir.accounts.api_tokens import api_token_create, api_token_revoke
from comptoir.accounts.models import ApiScope, Role, User
from comptoir.accounts.services import email_address_record
from comptoir.tickets.models import Ticket
from comptoir.tickets.services import ticket_update_by_agent

INTERNAL_NOTE = "Refund refused: customer known for chargebacks."


@dataclass
class People:
    requester_a: User
    requester_b: User
    agent: User
    admin: User
    ticket_a: Ticket
    ticket_b: Ticket


def token_for(user: User, scope: str = ApiScope.WRITE, **extra: Any) -> str:
    return api_token_create(owner=user, name="test", scope=scope, **extra).secret


def bearer(secret: str) -> dict[str, str]:
    """Headers for the test client: the token, and English (tests run with LANGUAGE_CODE fr)."""
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def people(make_ticket) -> People:
    # No password anywhere: hashing one costs a fifth of a second, times every test.
    agent = User.objects.create_user("agent@example.com", name="Camille", role=Role.AGENT)
    admin = User.objects.create_user("ada@example.com", name="Ada", role=Role.ADMIN)
    ticket_a = make_ticket(email="alice@example.org", name="Alice", subject="Printer on fire")
    ticket_b = make_ticket(email="bob@example.net", name="Bob", subject="Invoice missing")
    for ticket in (ticket_a, ticket_b):
        email_address_record(user=ticket.requester, verified=True)
        ticket_update_by_agent(ticket, agent=agent, body=INTERNAL_NOTE, is_public=False)
    return People(
        requester_a=ticket_a.requester,
        requester_b=ticket_b.requester,
        agent=agent,
        admin=admin,
        ticket_a=ticket_a,
        ticket_b=ticket_b,
    )


@pytest.fixture
def api(client: Client):
    """Calls the API as whoever's token is given: api("get", path, token, data=...)."""

    def call(method: str, path: str, token: str | None = None, data: Any = None, **headers: str):
        extra = bearer(token) if token else {"HTTP_ACCEPT_LANGUAGE": "en"}
        extra.update(headers)
        send = getattr(client, method)
        if method in ("get", "delete"):
            return send(path, data or {}, **extra)
        return send(path, data or {}, content_type="application/json", **extra)

    return call


def revoked_token(user: User) -> str:
    made = api_token_create(owner=user, name="old", scope=ApiScope.WRITE)
    api_token_revoke(token=made.token)
    return made.secret


def expired_token(user: User) -> str:
    made = api_token_create(owner=user, name="old", scope=ApiScope.WRITE, expires_at=timezone.now() + timedelta(days=1))
    made.token.expires_at = timezone.now() - timedelta(seconds=1)
    made.token.save(update_fields=["expires_at"])
    return made.secret
