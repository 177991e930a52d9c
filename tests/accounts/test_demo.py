"""`make run`'s demo people: an agent, an admin and a customer who can sign in and find a ticket."""

from __future__ import annotations

import io

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_the_demo_gives_a_customer_with_a_verified_address_and_one_ticket_once(settings):
    settings.DEBUG = True
    output = io.StringIO()
    call_command("load_demo", stdout=output)
    call_command("load_demo", stdout=io.StringIO())

    customer = User.objects.get(email="customer@example.com")
    assert (customer.role, customer.is_staff, customer.check_password("customer")) == (Role.REQUESTER, False, True)
    assert EmailAddress.objects.filter(user=customer, verified=True).count() == 1
    assert Ticket.objects.filter(requester=customer).count() == 1
    assert User.objects.get(email="agent@example.com").is_staff
    assert "Demo requester: customer@example.com / customer" in output.getvalue()


def test_without_debug_there_are_no_demo_people(settings):
    settings.DEBUG = False
    call_command("load_demo", stdout=io.StringIO())
    assert not User.objects.filter(email__endswith="@example.com").exists()
