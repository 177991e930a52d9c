"""Ticket pages, the requester's and the agent's, are never kept by a browser or shared cache."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import User
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import Status, Ticket
from comptoir.tickets.services import ticket_set_status

pytestmark = pytest.mark.django_db


def page(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def not_stored(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


@pytest.fixture
def guest_ticket(client, make_ticket) -> Ticket:
    ticket = make_ticket()
    client.post(reverse("ticket_link"), {"link": link_issue(ticket)})
    return ticket


def test_the_requester_s_ticket_page_is_not_stored(client, guest_ticket):
    shown = client.get(page("ticket_detail", guest_ticket.reference))
    refused_reply = client.post(page("ticket_reply", guest_ticket.reference), {"body": ""})

    assert (shown.status_code, refused_reply.status_code) == (200, 400)
    assert not_stored(shown) and not_stored(refused_reply)


def test_the_requester_s_ticket_list_is_not_stored(client, make_ticket):
    from allauth.account.models import EmailAddress

    ticket = make_ticket()
    EmailAddress.objects.filter(user=ticket.requester).update(verified=True)
    client.force_login(ticket.requester)

    response = client.get(page("my_tickets"))

    assert response.status_code == 200 and "Export fails" in response.content.decode()
    assert not_stored(response)


def test_the_agent_s_ticket_page_is_not_stored(client, agent: User, make_ticket):
    ticket = make_ticket()
    client.force_login(agent)
    shown = client.get(page("agent_ticket", ticket.reference))
    ticket_set_status(ticket, Status.CLOSED, actor=None)
    refused = client.post(page("agent_ticket_update", ticket.reference), {"visibility": "public", "body": "Hi"})

    assert (shown.status_code, refused.status_code) == (200, 400)
    assert not_stored(shown) and not_stored(refused)
    # An agent reading the requester's page gets it unstored too.
    assert not_stored(client.get(page("ticket_detail", ticket.reference)))
