"""Organisations: agents file requesters under one; members see each other's tickets only when it is shared."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Organisation, User
from comptoir.accounts.services import email_address_record

PASSWORD = "a-long-and-unusual-passphrase"


def page(name: str, *args: object) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def member(email: str, organisation: Organisation | None) -> User:
    user = User.objects.create_user(email, password=PASSWORD, organisation=organisation)
    email_address_record(user=user, verified=True)
    return user


@pytest.fixture
def agent_client(agent) -> Client:
    agent_side = Client()
    agent_side.force_login(agent)
    return agent_side


@pytest.fixture
def acme(db) -> Organisation:
    return Organisation.objects.create(name="Acme")


@pytest.fixture
def colleague_ticket(make_ticket, acme):
    ticket = make_ticket(email="bob@acme.example", subject="Printer on fire")
    ticket.requester.organisation = acme
    ticket.requester.save()
    return ticket


def test_members_do_not_see_each_other_s_tickets_by_default(client, colleague_ticket, acme):
    client.force_login(member("carol@acme.example", acme))

    assert client.get(page("ticket_detail", colleague_ticket.reference)).status_code == 404


def test_members_of_a_sharing_organisation_see_each_other_s_tickets(client, colleague_ticket, acme):
    acme.shares_tickets = True
    acme.save()
    client.force_login(member("carol@acme.example", acme))

    response = client.get(page("ticket_detail", colleague_ticket.reference))

    assert response.status_code == 200
    assert "Printer on fire" in response.content.decode()


def test_a_non_member_sees_nothing_even_when_shared(client, colleague_ticket, acme, db):
    acme.shares_tickets = True
    acme.save()
    other = Organisation.objects.create(name="Globex", shares_tickets=True)

    for outsider in (member("dave@globex.example", other), member("erin@example.org", None)):
        client.force_login(outsider)
        assert client.get(page("ticket_detail", colleague_ticket.reference)).status_code == 404


def test_an_unverified_member_sees_nothing(client, colleague_ticket, acme):
    acme.shares_tickets = True
    acme.save()
    carol = User.objects.create_user("carol@acme.example", password=PASSWORD, organisation=acme)

    client.force_login(carol)

    assert client.get(page("ticket_detail", colleague_ticket.reference)).status_code == 404


def test_an_agent_files_the_requester_under_an_organisation_by_its_name(agent_client, make_ticket, acme):
    ticket = make_ticket()

    # Typed in any case, with stray spaces: the organisation as the admin wrote it.
    response = agent_client.post(page("agent_requester_organisation", ticket.reference), {"organisation": " acme "})

    assert response.status_code == 302
    ticket.requester.refresh_from_db()
    assert ticket.requester.organisation == acme
    html = agent_client.get(page("agent_ticket", ticket.reference)).content.decode()
    assert 'value="Acme" list="organisation-suggestions"' in html
    agent_client.post(page("agent_requester_organisation", ticket.reference), {"organisation": ""})
    ticket.requester.refresh_from_db()
    assert ticket.requester.organisation is None


def test_an_unknown_organisation_changes_nothing(agent_client, make_ticket, acme):
    ticket = make_ticket()
    agent_client.post(page("agent_requester_organisation", ticket.reference), {"organisation": "Acme"})

    address = page("agent_requester_organisation", ticket.reference)
    response = agent_client.post(address, {"organisation": "Acne"}, follow=True)

    ticket.requester.refresh_from_db()
    assert ticket.requester.organisation == acme
    assert "No organisation is named “Acne”." in response.content.decode()


def test_organisations_are_suggested_as_the_agent_types(agent_client, client, acme):
    Organisation.objects.create(name="Acmeco")
    Organisation.objects.create(name="Bolt & <Co>")
    suggestions = page("agent_organisation_suggestions")

    assert agent_client.get(suggestions, {"organisation": "acm"}).content.decode() == (
        '<option value="Acme"></option><option value="Acmeco"></option>\n'
    )
    assert agent_client.get(suggestions, {"organisation": "bolt"}).content.decode() == (
        '<option value="Bolt &amp; &lt;Co&gt;"></option>\n'
    )
    assert agent_client.get(suggestions, {"organisation": "%"}).content.decode().strip() == ""
    client.force_login(member("carol@acme.example", None))
    assert client.get(suggestions, {"organisation": "acm"}).status_code == 403


def test_only_agents_file_requesters_and_only_by_post(client, agent_client, make_ticket, acme):
    ticket = make_ticket()
    url = page("agent_requester_organisation", ticket.reference)
    client.force_login(member("carol@acme.example", None))

    assert client.post(url, {"organisation": "Acme"}).status_code == 403
    assert agent_client.get(url).status_code == 405
    ticket.requester.refresh_from_db()
    assert ticket.requester.organisation is None


def test_a_colleague_s_reply_is_written_in_the_colleague_s_name(client, colleague_ticket, acme):
    acme.shares_tickets = True
    acme.save()
    carol = member("carol@acme.example", acme)
    client.force_login(carol)

    response = client.post(page("ticket_reply", colleague_ticket.reference), {"body": "Same here on floor 2."})

    assert response.status_code == 302
    message = colleague_ticket.messages.latest("id")
    assert (message.body, message.author, message.author_role) == ("Same here on floor 2.", carol, "requester")
    assert colleague_ticket.requester.email == "bob@acme.example"


def test_the_requester_s_own_reply_stays_in_their_name(client, colleague_ticket, acme):
    acme.shares_tickets = True
    acme.save()
    bob = colleague_ticket.requester
    email_address_record(user=bob, verified=True)
    client.force_login(bob)

    client.post(page("ticket_reply", colleague_ticket.reference), {"body": "Still burning."})

    assert colleague_ticket.messages.latest("id").author == bob


def test_my_tickets_lists_the_organisation_s_tickets_only_while_it_shares_them(client, colleague_ticket, acme):
    carol = member("carol@acme.example", acme)
    client.force_login(carol)
    assert "Printer on fire" not in client.get(page("my_tickets")).content.decode()

    acme.shares_tickets = True
    acme.save()
    html = client.get(page("my_tickets"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Printer on fire" in html
    assert "Opened by Alice Martin" in html
    assert "Tickets of your colleagues at Acme are listed too." in html
    outsider = member("dave@globex.example", Organisation.objects.create(name="Globex", shares_tickets=True))
    client.force_login(outsider)
    assert "Printer on fire" not in client.get(page("my_tickets")).content.decode()


def test_a_colleague_who_marks_it_solved_is_named_in_the_history(client, colleague_ticket, acme):
    from comptoir.tickets.models import EventKind, Status

    acme.shares_tickets = True
    acme.save()
    carol = member("carol@acme.example", acme)
    client.force_login(carol)

    client.post(page("ticket_solve", colleague_ticket.reference))

    colleague_ticket.refresh_from_db()
    assert colleague_ticket.status == Status.SOLVED
    assert colleague_ticket.events.filter(kind=EventKind.STATUS).latest("id").actor == carol


def test_an_organisation_s_number_is_not_its_name(agent_client, make_ticket, acme):
    ticket = make_ticket()

    response = agent_client.post(page("agent_requester_organisation", ticket.reference), {"organisation": acme.pk})

    assert response.status_code == 302
    ticket.requester.refresh_from_db()
    assert ticket.requester.organisation is None


def test_an_address_changed_in_the_admin_replaces_the_sign_in_address(client, db):
    from allauth.account.models import EmailAddress

    person = member("old@example.org", None)
    client.force_login(User.objects.create_superuser("root@example.com"))

    response = client.post(
        f"/admin/accounts/user/{person.pk}/change/",
        {
            "email": "new@example.org",
            "role": "requester",
            "is_active": "on",
            "date_joined_0": "2026-11-01",
            "date_joined_1": "10:00:00",
        },
    )

    assert response.status_code == 302
    assert list(EmailAddress.objects.filter(user=person).values_list("email", "verified")) == [
        ("new@example.org", False)
    ]
