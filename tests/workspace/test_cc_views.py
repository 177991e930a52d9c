"""Agents copy people on a ticket, and stop copying them, from the ticket page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from comptoir.gateway.inbound import ingest
from comptoir.mail.addressing import reply_address
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.tickets.models import EventKind, Status, TicketCC
from comptoir.tickets.services import ticket_set_status, ticket_update_by_agent
from tests.mail.test_ingest import raw_message

pytestmark = pytest.mark.django_db


def test_an_agent_adds_a_cc_who_then_receives_public_replies(client, agent, make_ticket):
    ticket = make_ticket()
    client.force_login(agent)

    response = client.post(
        reverse("agent_cc_add", args=[ticket.reference]), {"email": "Dana@Example.org", "name": "Dana"}
    )

    assert response.status_code == 302
    cc = TicketCC.objects.get(ticket=ticket)
    assert (cc.email, cc.name, cc.added_by) == ("dana@example.org", "Dana", agent)
    assert ticket.events.filter(kind=EventKind.CC_ADDED, actor=agent).exists()
    page = client.get(reverse("agent_ticket", args=[ticket.reference])).content.decode()
    assert "dana@example.org" in page
    ticket_update_by_agent(ticket, agent=agent, body="Fixed on our side.")
    assert OutboundEmail.objects.filter(kind=OutboundKind.AGENT_REPLY_CC, to_address="dana@example.org").exists()


@pytest.mark.parametrize("email", ["not-an-address", "alice@example.org", "support@comptoir.localhost"])
def test_it_refuses_an_invalid_address_the_requester_and_our_own(client, agent, make_ticket, email):
    ticket = make_ticket()  # requested by alice@example.org
    client.force_login(agent)

    response = client.post(reverse("agent_cc_add", args=[ticket.reference]), {"email": email}, follow=True)

    assert TicketCC.objects.count() == 0
    assert response.context["messages"]
    assert reply_address(ticket.reference) not in response.content.decode()


def test_an_agent_removes_a_cc(client, agent, make_ticket):
    ticket = make_ticket()
    cc = TicketCC.objects.create(ticket=ticket, email="dana@example.org")
    client.force_login(agent)

    assert client.get(reverse("agent_cc_remove", args=[ticket.reference, cc.pk])).status_code == 405
    response = client.post(reverse("agent_cc_remove", args=[ticket.reference, cc.pk]))

    assert response.status_code == 302
    assert not TicketCC.objects.exists()
    assert ticket.events.filter(kind=EventKind.CC_REMOVED, new_value="dana@example.org").exists()


def test_a_cc_of_another_ticket_cannot_be_removed_through_this_one(client, agent, make_ticket):
    ticket, other = make_ticket(), make_ticket(subject="Other")
    cc = TicketCC.objects.create(ticket=other, email="dana@example.org")
    client.force_login(agent)

    assert client.post(reverse("agent_cc_remove", args=[ticket.reference, cc.pk])).status_code == 404
    assert TicketCC.objects.filter(pk=cc.pk).exists()


def test_requesters_cannot_change_ccs(client, requester, make_ticket):
    ticket = make_ticket()
    cc = TicketCC.objects.create(ticket=ticket, email="dana@example.org")
    client.force_login(requester)

    assert client.post(reverse("agent_cc_add", args=[ticket.reference]), {"email": "x@example.org"}).status_code == 403
    assert client.post(reverse("agent_cc_remove", args=[ticket.reference, cc.pk])).status_code == 403
    assert list(TicketCC.objects.values_list("email", flat=True)) == ["dana@example.org"]


def test_a_closed_ticket_shows_its_ccs_without_the_form(client, agent, make_ticket):
    ticket = make_ticket()
    TicketCC.objects.create(ticket=ticket, email="dana@example.org")
    ticket_set_status(ticket, Status.CLOSED, actor=agent)
    client.force_login(agent)

    page = client.get(reverse("agent_ticket", args=[ticket.reference])).content.decode()

    assert "dana@example.org" in page
    assert reverse("agent_cc_add", args=[ticket.reference]) not in page


def test_the_requester_is_told_who_an_agent_copied(client, agent, make_ticket, mailoutbox):
    ticket = make_ticket()
    client.force_login(agent)

    client.post(reverse("agent_cc_add", args=[ticket.reference]), {"email": "dana@example.org", "name": "Dana"})

    notice = OutboundEmail.objects.get(kind=OutboundKind.CCS_ADDED)
    assert (notice.to_address, notice.ticket) == ("alice@example.org", ticket)
    assert email_deliver(notice.pk) is True
    sent = mailoutbox[-1]
    assert sent.to == ["alice@example.org"]
    assert "Dana <dana@example.org>" in sent.body
    assert "/t/" in sent.body  # her own secret link, to her only


def test_the_requester_is_told_even_of_people_she_seems_to_copy_herself(make_ticket):
    # A From address proves little: whoever copies people on her request, she hears of it.
    ticket = make_ticket()
    raw = raw_message(
        sender="Alice Martin <alice@example.org>", message_id="<own-cc@example.org>", headers=["Cc: bob@example.org"]
    ).replace(b"To: support@comptoir.localhost", f"To: {reply_address(ticket.reference)}".encode())

    ingest(raw, source="test")

    assert TicketCC.objects.filter(ticket=ticket, email="bob@example.org").exists()
    notice = OutboundEmail.objects.get(kind=OutboundKind.CCS_ADDED)
    assert (notice.to_address, notice.ticket) == ("alice@example.org", ticket)
