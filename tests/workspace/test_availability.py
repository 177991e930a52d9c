"""An agent sets themselves away from the profile menu, and back: their groups' assignment passes them by meanwhile."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def url(name: str) -> str:
    with translation.override("en"):
        return reverse(name)


def test_an_agent_sets_themselves_away_then_back_from_the_menu_shown_on_every_agent_page(client, agent):
    client.force_login(agent)
    page = client.get(url("agent_tickets")).content.decode()
    assert 'name="away" value="1"' in page and "Set me away" in page

    response = client.post(url("agent_availability"), {"away": "1", "next": url("agent_notices")})

    assert response.status_code == 302 and response["Location"] == url("agent_notices")
    agent.refresh_from_db()
    assert agent.away
    page = client.get(url("agent_tickets")).content.decode()
    assert "You are away" in page and 'name="away" value="0"' in page and "I am back" in page

    client.post(url("agent_availability"), {"away": "0"})
    agent.refresh_from_db()
    assert not agent.away


def test_availability_takes_a_post_with_its_csrf_token_and_goes_back_only_to_this_site(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get(url("agent_availability")).status_code == 405
    assert client.post(url("agent_availability"), {"away": "1"}).status_code == 403
    agent.refresh_from_db()
    assert not agent.away

    client = Client()
    client.force_login(agent)
    response = client.post(url("agent_availability"), {"away": "1", "next": "https://elsewhere.example/"})
    assert response["Location"] == url("agent_tickets")


def test_a_requester_cannot_set_anyone_away(client, agent):
    requester = User.objects.create_user("alice@example.org", name="Alice", role=Role.REQUESTER)
    client.force_login(requester)

    assert client.post(url("agent_availability"), {"away": "1"}).status_code == 403
    assert not User.objects.filter(away=True).exists()
