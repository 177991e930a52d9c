"""A guest who came by the secret link turns it into an account in one step."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import User
from comptoir.accounts.services import email_address_record
from comptoir.portal.ticket_views import masked_address
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import Ticket
from tests.conftest import account_mail_delivered

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/accounts/password/reset/key/\S+/)")


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture(autouse=True)
def _base_url(settings) -> None:
    settings.COMPTOIR_BASE_URL = "http://testserver"


@pytest.fixture
def guest_ticket(client, make_ticket) -> Ticket:
    ticket = make_ticket()
    client.get(reverse("ticket_link_redeem", args=[link_issue(ticket)]))
    account_mail_delivered().clear()
    return ticket


def test_it_masks_the_address():
    assert masked_address("alice@example.org") == "a•••@example.org"


def test_it_offers_an_account_to_a_guest_only(client, guest_ticket):
    page = client.get(url("ticket_detail", guest_ticket.reference)).content.decode()
    assert "Follow all your tickets in one place" in page
    assert f'action="{url("ticket_account", guest_ticket.reference)}"' in page
    email_address_record(user=guest_ticket.requester, verified=True)
    client.force_login(guest_ticket.requester)
    assert (
        "Follow all your tickets in one place"
        not in client.get(url("ticket_detail", guest_ticket.reference)).content.decode()
    )


def test_it_refuses_a_get(client, guest_ticket):
    assert client.get(url("ticket_account", guest_ticket.reference)).status_code == 405


def test_it_mails_a_link_that_sets_a_password_verifies_the_address_and_shows_the_ticket(client, guest_ticket):
    response = client.post(url("ticket_account", guest_ticket.reference))
    assert response.status_code == 200
    assert "We have sent you an e-mail at a•••@example.org: follow its link to choose your password." in (
        response.content.decode()
    )
    assert "alice@example.org" not in response.content.decode()
    assert len(account_mail_delivered()) == 1
    sent = mail.outbox[0]
    assert sent.to == ["alice@example.org"]
    assert sent.subject == "Choose your password to follow all your tickets"
    found = LINK.search(sent.body)
    assert found is not None

    fresh = client.__class__()
    form = fresh.get(found.group(1), follow=True)
    assert form.status_code == 200
    done = fresh.post(form.redirect_chain[-1][0], {"password1": "a-long-Passw0rd!", "password2": "a-long-Passw0rd!"})
    assert done.status_code == 302
    user = User.objects.get(email="alice@example.org")
    assert user.has_usable_password() and user.check_password("a-long-Passw0rd!")
    assert EmailAddress.objects.get(user=user).verified
    listing = fresh.get(url("my_tickets"))
    assert [row["ticket"].pk for row in listing.context["rows"]] == [guest_ticket.pk]


def test_it_answers_the_same_and_mails_the_usual_note_when_the_account_exists(client, guest_ticket):
    user = guest_ticket.requester
    user.set_password("already-chosen")
    user.save()
    response = client.post(url("ticket_account", guest_ticket.reference))
    assert "We have sent you an e-mail at a•••@example.org" in response.content.decode()
    # One e-mail either way, so neither the page nor its timing tells the account apart.
    assert [(m.to, m.subject) for m in account_mail_delivered()] == [
        (["alice@example.org"], "You already have an account")
    ]
    user.refresh_from_db()
    assert user.check_password("already-chosen")


def test_it_sends_at_most_one_email_per_requester_every_ten_minutes_whatever_the_browser(
    client, guest_ticket, monkeypatch
):
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    monkeypatch.setattr("comptoir.core.ratelimit.timezone", SimpleNamespace(now=lambda: now))
    client.post(url("ticket_account", guest_ticket.reference))
    again = client.post(url("ticket_account", guest_ticket.reference))
    assert len(account_mail_delivered()) == 1
    assert "We sent this e-mail a few minutes ago" in again.content.decode()
    # Cookies cleared and the link followed again: still the same requester, still nothing new.
    fresh = client.__class__()
    fresh.get(reverse("ticket_link_redeem", args=[link_issue(guest_ticket)]))
    account_mail_delivered().clear()
    fresh.post(url("ticket_account", guest_ticket.reference))
    assert account_mail_delivered() == []
    now += timedelta(minutes=11)
    client.post(url("ticket_account", guest_ticket.reference))
    assert len(account_mail_delivered()) == 1
