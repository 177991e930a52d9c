"""Deleting a ticket: admins only, after a confirmation, for good, and recorded."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.events.models import DeliveryState, EventDelivery
from comptoir.portal.erasure import account_erase
from comptoir.tickets.models import Attachment, DeletedTicket, Message, Ticket, TicketEvent
from comptoir.tickets.services import ticket_delete, ticket_update_by_agent
from tests.conftest import png_attachment

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def admin(db):
    return User.objects.create_user("admin@example.com", name="Ada", role=Role.ADMIN)


def test_an_admin_confirms_then_the_ticket_is_gone_and_recorded(client, admin, make_ticket):
    ticket = make_ticket(subject="Delete me", files=[png_attachment()])
    ticket_update_by_agent(ticket, agent=admin, body="Noted.", is_public=False)
    kept = make_ticket(subject="Keep me")
    client.force_login(admin)
    page = client.get(url("agent_ticket", ticket.reference)).content.decode()
    assert f'href="{url("agent_ticket_delete", ticket.reference)}"' in page
    confirm = client.get(url("agent_ticket_delete", ticket.reference))
    assert confirm.status_code == 200 and "Delete me" in confirm.content.decode()
    assert Ticket.objects.filter(pk=ticket.pk).exists()  # looking deletes nothing

    response = client.post(url("agent_ticket_delete", ticket.reference))
    assert response["Location"] == url("agent_tickets")
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert not Message.objects.filter(ticket_id=ticket.pk).exists()
    assert not Attachment.objects.filter(ticket_id=ticket.pk).exists()
    assert not TicketEvent.objects.filter(ticket_id=ticket.pk).exists()
    record = DeletedTicket.objects.get()
    assert (record.reference, record.subject, record.requester_email, record.message_count, record.deleted_by) == (
        ticket.reference,
        "Delete me",
        "alice@example.org",
        2,
        admin,
    )
    assert Ticket.objects.filter(pk=kept.pk).exists()


def test_agents_and_customers_cannot_delete(client, agent, make_ticket):
    ticket = make_ticket()
    client.force_login(agent)
    page = client.get(url("agent_ticket", ticket.reference)).content.decode()
    assert url("agent_ticket_delete", ticket.reference) not in page
    assert client.get(url("agent_ticket_delete", ticket.reference)).status_code == 403
    assert client.post(url("agent_ticket_delete", ticket.reference)).status_code == 403
    client.force_login(ticket.requester)
    assert client.post(url("agent_ticket_delete", ticket.reference)).status_code == 403
    with pytest.raises(PermissionError):
        ticket_delete(ticket, admin=agent)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(User.objects.create_user("root@example.com", role=Role.ADMIN))
    assert strict.post(url("agent_ticket_delete", ticket.reference)).status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_what_was_owed_about_it_is_dropped(admin, make_ticket):
    ticket = make_ticket()
    EventDelivery.objects.filter(ticket_id=ticket.pk).update(state=DeliveryState.PENDING)
    ticket_delete(ticket, admin=admin)
    assert not EventDelivery.objects.filter(ticket_id=ticket.pk, state=DeliveryState.PENDING).exists()


def test_erasing_the_requester_scrubs_the_record_too(admin, make_ticket):
    ticket = make_ticket(email="alice@example.org")
    ticket_delete(ticket, admin=admin)
    account_erase(user=User.objects.get(email="alice@example.org"))
    assert "alice" not in DeletedTicket.objects.get().requester_email
