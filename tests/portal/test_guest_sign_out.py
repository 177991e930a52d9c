"""A guest ends, in this browser, the access a secret link gave; signing out ends it too."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import User
from comptoir.portal import receipt
from comptoir.tickets import access
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def page(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def follow_link(client: Client, ticket: Ticket) -> None:
    assert client.post(reverse("ticket_link"), {"link": link_issue(ticket)}).status_code == 302


def test_a_guest_signs_out_and_this_browser_no_longer_opens_the_ticket(client, make_ticket):
    ticket = make_ticket()
    follow_link(client, ticket)
    client.cookies[receipt.COOKIE] = receipt.receipt_give(HttpResponse(), ticket).cookies[receipt.COOKIE].value
    assert client.get(page("ticket_sent")).status_code == 200
    html = client.get(page("ticket_detail", ticket.reference)).content.decode()
    assert "Sign out on this device" in html
    assert f'action="{page("ticket_sign_out")}"' in html

    response = client.post(page("ticket_sign_out"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    home = client.get(response.headers["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You are signed out: this browser no longer opens your tickets without their link." in home
    assert client.get(page("ticket_detail", ticket.reference)).status_code == 404
    assert access.SESSION_KEY not in client.session
    # The receipt of the last ticket sent, which names the address, is forgotten too.
    assert response.cookies[receipt.COOKIE].value == ""
    assert client.get(page("ticket_sent")).status_code == 302
    # The link in the e-mail still works.
    follow_link(client, ticket)
    assert client.get(page("ticket_detail", ticket.reference)).status_code == 200


def test_signing_out_takes_a_post_with_its_csrf_token(make_ticket):
    ticket = make_ticket()
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("ticket_link"))
    csrf = browser.cookies["csrftoken"].value
    browser.post(reverse("ticket_link"), {"link": link_issue(ticket), "csrfmiddlewaretoken": csrf})

    assert browser.get(page("ticket_sign_out")).status_code == 405
    assert browser.post(page("ticket_sign_out")).status_code == 403
    assert browser.get(page("ticket_detail", ticket.reference)).status_code == 200


def test_logging_out_ends_the_access_a_link_gave(client, make_ticket):
    ticket = make_ticket(email="alice@example.org")
    someone = User.objects.create_user("bob@example.org", password="x")
    client.force_login(someone)
    follow_link(client, ticket)
    assert client.get(page("ticket_detail", ticket.reference)).status_code == 200

    client.post(reverse("account_logout"))

    assert client.get(page("ticket_detail", ticket.reference)).status_code == 404


def test_a_signed_in_person_signing_out_of_links_stays_signed_in(client, make_ticket):
    ticket = make_ticket(email="alice@example.org")
    someone = User.objects.create_user("bob@example.org", password="x")
    client.force_login(someone)
    follow_link(client, ticket)
    # Offered to guests only: whoever is signed in has "Log out" in the header.
    assert "Sign out on this device" not in client.get(page("ticket_detail", ticket.reference)).content.decode()

    client.post(page("ticket_sign_out"))

    assert client.get(page("ticket_detail", ticket.reference)).status_code == 404
    assert client.session["_auth_user_id"] == str(someone.pk)
