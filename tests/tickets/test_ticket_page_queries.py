from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.tickets.files import NewAttachment
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import Channel
from comptoir.tickets.services import ticket_reply_by_requester
from tests.conftest import png_attachment

pytestmark = pytest.mark.django_db


def two_pngs() -> list[NewAttachment]:
    return [png_attachment(f"s{i}.png") for i in range(2)]


def page_queries(client, make_ticket, extra_messages: int) -> int:
    ticket = make_ticket(files=two_pngs())
    for n in range(extra_messages):
        ticket_reply_by_requester(ticket=ticket, body=f"reply {n}", channel=Channel.WEB, files=two_pngs())
    client.get(reverse("ticket_link_redeem", args=[link_issue(ticket)]))
    with translation.override("en"):
        address = reverse("ticket_detail", args=[ticket.reference])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    assert response.content.decode().count('class="message ') == extra_messages + 1
    return len(captured)


def test_it_runs_the_same_queries_for_one_message_and_for_twenty(client, make_ticket):
    one = page_queries(client, make_ticket, 0)
    many = page_queries(client, make_ticket, 19)
    assert one == many


def test_it_pins_the_ticket_page_queries(client, make_ticket, django_assert_num_queries):
    ticket = make_ticket(files=two_pngs())
    client.get(reverse("ticket_link_redeem", args=[link_issue(ticket)]))
    with translation.override("en"):
        address = reverse("ticket_detail", args=[ticket.reference])
    # 1 session, 2 ticket with requester and assignee, 3 messages with authors,
    # 4 their attachments, 5 the ticket's field values a customer may see (comptoir.ticketforms).
    with django_assert_num_queries(5):
        client.get(address)
