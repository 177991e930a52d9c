"""A webhook's ticket and message are what the API shows an agent: compared field by field, so they cannot drift."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Priority, SupportGroup
from comptoir.tickets.services import ticket_update_by_agent
from comptoir.webhooks.models import WebhookDelivery
from tests.api.conftest import bearer, token_for
from tests.conftest import png_attachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def camille(db) -> User:
    return User.objects.create_user("camille@example.com", name="Camille Martin", role=Role.AGENT)


def _data(event_type: str) -> dict:
    delivery = WebhookDelivery.objects.filter(event_type=event_type).latest("id")
    payload = json.loads(delivery.body)
    assert payload["type"] == event_type
    return payload["data"]


def test_the_webhooks_ticket_is_the_apis_ticket_for_an_agent(webhook, make_ticket, camille, client: Client):
    ticket = make_ticket(subject="Printer on fire")
    group = SupportGroup.objects.create(name="Hardware")
    ticket_update_by_agent(
        ticket,
        agent=camille,
        body="On it.",
        priority=Priority.URGENT,
        assignee=camille,
        group=group,
        add_tags=["printer", "fire"],
        files=[png_attachment()],
    )
    secret = token_for(camille)

    shown = client.get(f"/api/v1/tickets/{ticket.reference}/", **bearer(secret))
    assert shown.status_code == 200
    data = _data("ticket.updated")
    assert data["ticket"] == shown.json()
    assert data["ticket"]["tags"] == ["fire", "printer"]
    assert data["ticket"]["assignee"]["name"] == "Camille Martin"

    messages = client.get(f"/api/v1/tickets/{ticket.reference}/messages/", **bearer(secret)).json()["results"]
    reply = _data("message.created")["message"]
    assert reply == next(message for message in messages if message["id"] == reply["id"])
    assert reply["attachments"][0]["filename"] == "shot.png"


def test_the_event_names_its_actor_by_short_name_never_an_address(webhook, make_ticket, camille):
    ticket = make_ticket()
    nameless = User.objects.create_user("zoe.dupont@example.com", role=Role.AGENT)
    ticket_update_by_agent(ticket, agent=nameless, priority=Priority.HIGH)
    data = _data("ticket.updated")
    assert data["event"]["actor"] == "zoe.dupont"
    # The priority, and the status the agent's first touch moved from new to open.
    changes = {change["kind"]: (change["old"], change["new"]) for change in data["changes"]}
    assert changes == {"priority": ("normal", "high"), "status": ("new", "open")}
