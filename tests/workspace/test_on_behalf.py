"""Tickets an agent opens for a customer, and a ticket given to another requester."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import User
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.portal.erasure import account_erase
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import AuthorRole, Channel, EventKind, Priority, Ticket, TicketAccessToken
from comptoir.tickets.services import ticket_add_ccs, ticket_change_requester

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def opened(client, **fields) -> Ticket:
    data = {
        "email": "claire@example.org",
        "name": "Claire Dupont",
        "subject": "Called: the invoice is wrong",
        "channel": Channel.PHONE,
        "type": "question",
        "priority": Priority.HIGH,
        "language": "fr",
        "written_by": "customer",
        "body": "My March invoice counts two licences; we have one.",
        "confirm": "on",
        "assign_to_me": "on",
        **fields,
    }
    data = {name: value for name, value in data.items() if value is not None}
    response = client.post(url("agent_ticket_new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get(subject=data["subject"])
    assert response["Location"] == url("agent_ticket", ticket.reference)
    return ticket


def test_an_agent_opens_a_ticket_for_a_caller_who_gets_the_confirmation(signed_in, agent):
    ticket = opened(signed_in)
    assert ticket.requester.email == "claire@example.org" and ticket.requester.name == "Claire Dupont"
    assert not ticket.requester.has_usable_password()  # a guest, as from the public form
    assert (ticket.channel, ticket.priority, ticket.assignee, ticket.language) == (
        Channel.PHONE,
        Priority.HIGH,
        agent,
        "fr",
    )
    message = ticket.messages.get()
    assert (message.author, message.author_role, message.is_public) == (ticket.requester, AuthorRole.REQUESTER, True)
    created = ticket.events.get(kind=EventKind.CREATED)
    assert created.actor == agent and not created.quiet
    confirmation = OutboundEmail.objects.get(kind=OutboundKind.TICKET_CREATED)
    assert confirmation.to_address == "claire@example.org" and confirmation.ticket == ticket


def test_a_summary_in_the_agents_name_without_confirmation_sends_nothing(signed_in, agent):
    User.objects.create_user("claire@example.org", name="Claire Dupont")
    ticket = opened(signed_in, written_by="agent", confirm=None, assign_to_me=None)
    assert User.objects.filter(email="claire@example.org").count() == 1  # the known customer, not a new one
    message = ticket.messages.get()
    assert (message.author, message.author_role) == (agent, AuthorRole.AGENT)
    assert ticket.assignee is None
    assert ticket.events.get(kind=EventKind.CREATED).quiet
    assert not OutboundEmail.objects.filter(kind=OutboundKind.TICKET_CREATED).exists()


def test_a_form_with_a_mistake_comes_back_with_what_was_typed(signed_in):
    response = signed_in.post(
        url("agent_ticket_new"),
        {"email": "not an address", "subject": "Kept subject", "body": "Kept words.", "written_by": "customer"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="Kept subject"' in page and "Kept words." in page
    assert not Ticket.objects.exists()


def test_the_page_and_the_header_link_to_it_are_for_agents(client, signed_in, make_ticket):
    page = signed_in.get(url("agent_tickets")).content.decode()
    assert f'href="{url("agent_ticket_new")}"' in page
    assert signed_in.get(url("agent_ticket_new")).status_code == 200
    customer = make_ticket().requester
    stranger = Client()
    stranger.force_login(customer)
    assert stranger.get(url("agent_ticket_new")).status_code == 403
    assert stranger.get(url("agent_people_suggestions"), {"email": "al"}).status_code == 403


def test_people_are_suggested_by_address_or_name(signed_in, make_ticket):
    make_ticket(email="alice@example.org", name="Alice Martin")
    make_ticket(email="bob@example.net", name="Bob Alister")
    make_ticket(email="carol@example.com", name="Carol")
    html = signed_in.get(url("agent_people_suggestions"), {"email": "al"}).content.decode()
    assert re.findall(r'<option value="([^"]+)">', html) == ["alice@example.org"]
    html = signed_in.get(url("agent_people_suggestions"), {"email": "b"}).content.decode()
    assert "<option" not in html  # one letter suggests nobody yet


def test_changing_the_requester_ends_the_former_requesters_links_and_grants(signed_in, make_ticket, agent):
    ticket = make_ticket(email="alice@example.org")
    ticket_add_ccs(ticket, [("Bob", "bob@example.net")], actor=agent)
    former = Client()
    assert former.post(url("ticket_link"), {"link": link_issue(ticket)}).status_code == 302
    assert former.get(url("ticket_detail", ticket.reference)).status_code == 200
    unused = link_issue(ticket)

    response = signed_in.post(
        url("agent_requester_change", ticket.reference), {"email": "bob@example.net", "name": "Bob"}
    )
    assert response["Location"] == url("agent_ticket", ticket.reference)
    ticket.refresh_from_db()
    assert ticket.requester.email == "bob@example.net"
    assert not ticket.ccs.exists()  # no longer copied on their own ticket
    assert not TicketAccessToken.objects.filter(ticket=ticket).exists()
    assert former.get(url("ticket_detail", ticket.reference)).status_code == 404
    assert Client().post(url("ticket_link"), {"link": unused}).status_code == 404
    event = ticket.events.get(kind=EventKind.REQUESTER_CHANGED)
    assert (event.old_value, event.new_value, event.actor) == ("alice@example.org", "bob@example.net", agent)
    assert not ticket_change_requester(ticket, email="BOB@example.net", name="", actor=agent)


def test_erasing_a_former_requester_takes_their_address_out_of_that_history(make_ticket, agent):
    ticket = make_ticket(email="alice@example.org")
    ticket_change_requester(ticket, email="bob@example.net", name="Bob", actor=agent)
    account_erase(user=User.objects.get(email="alice@example.org"))
    event = ticket.events.get(kind=EventKind.REQUESTER_CHANGED)
    assert "alice" not in event.old_value and event.new_value == "bob@example.net"


def test_changing_the_requester_takes_a_post_by_an_agent(client, make_ticket, agent):
    ticket = make_ticket()
    data = {"email": "mallory@example.com"}
    client.force_login(ticket.requester)
    assert client.post(url("agent_requester_change", ticket.reference), data).status_code == 403
    client.force_login(agent)
    assert client.get(url("agent_requester_change", ticket.reference), data).status_code == 405
    ticket.refresh_from_db()
    assert ticket.requester.email == "alice@example.org"


def test_e_mail_not_yet_sent_to_the_former_requester_is_held_back(make_ticket, agent):
    from comptoir.mail.models import OutboundStatus
    from comptoir.tickets.services import ticket_update_by_agent

    ticket = make_ticket(email="wrong@example.org")
    ticket_update_by_agent(ticket, agent=agent, body="Here is the fix.")
    queued = OutboundEmail.objects.get(kind=OutboundKind.AGENT_REPLY)
    assert queued.status == OutboundStatus.QUEUED
    ticket_change_requester(ticket, email="right@example.org", name="", actor=agent)
    queued.refresh_from_db()
    assert queued.status == OutboundStatus.SUPPRESSED
    assert "another requester" in queued.last_error


def test_our_own_address_is_no_customer(signed_in):
    response = signed_in.post(
        url("agent_ticket_new"),
        {"email": "support@comptoir.localhost", "subject": "Loop", "body": "x", "written_by": "customer"},
    )
    assert response.status_code == 400
    assert not Ticket.objects.exists()
