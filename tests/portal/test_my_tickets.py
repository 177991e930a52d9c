from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import User
from comptoir.accounts.services import email_address_record
from comptoir.tickets.models import AuthorRole, Channel, Message, Status, Ticket
from comptoir.tickets.services import ticket_reply_by_requester, ticket_set_status, ticket_update_by_agent

pytestmark = pytest.mark.django_db


def url(name: str = "my_tickets", *args, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name, args=args)


@pytest.fixture
def verified(client, requester) -> User:
    email_address_record(user=requester, verified=True)
    client.force_login(requester)
    return requester


def listed(response) -> list[str]:
    """The subjects in the table, in order."""
    return [row["ticket"].subject for row in response.context["rows"]]


def table(response) -> str:
    return response.content.decode().split("<tbody>")[1].split("</tbody>")[0]


def note(ticket: Ticket, agent: User, body: str) -> None:
    ticket_update_by_agent(ticket, agent=agent, body=body, is_public=False)


def age(ticket: Ticket, days: int) -> None:
    """Move the ticket and everything that happened on it `days` into the past."""
    then = timezone.now() - timedelta(days=days)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=then)
    ticket.messages.update(created_at=then)
    ticket.events.update(created_at=then)


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get(url())
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/?next=" + url()


def test_it_explains_and_shows_nothing_to_an_unverified_address(client, requester, make_ticket):
    make_ticket(subject="Secret invoice")
    client.force_login(requester)
    response = client.get(url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please confirm your e-mail address first" in page
    assert "Secret invoice" not in page
    assert "rows" not in response.context


def test_it_lists_only_the_requesters_own_tickets(client, verified, make_ticket):
    mine = make_ticket(subject="My export")
    make_ticket(email="bob@example.org", subject="Bob's export")
    response = client.get(url())
    page = response.content.decode()
    assert listed(response) == ["My export"]
    assert f"#{mine.reference}" in page
    assert f'href="{url("ticket_detail", mine.reference)}"' in page
    assert "Bob's export" not in page


def test_it_shows_the_status_with_its_explanation_and_a_link_to_the_statuses_page(client, verified, make_ticket):
    ticket = make_ticket()
    ticket_set_status(ticket, Status.PENDING, actor=None)
    page = client.get(url()).content.decode()
    assert f'href="{url("statuses_help")}#status-pending"' in page
    assert "We are waiting for your answer." in page


def test_it_shows_open_ones_by_default_then_solved_and_closed_then_all(client, verified, make_ticket):
    for status in Status:
        ticket = make_ticket(subject=f"Ticket {status.value}")
        if status != Status.NEW:
            ticket_set_status(ticket, status, actor=None)
    assert sorted(listed(client.get(url()))) == [
        "Ticket new",
        "Ticket on_hold",
        "Ticket open",
        "Ticket pending",
    ]
    assert sorted(listed(client.get(url(), {"status": "done"}))) == ["Ticket closed", "Ticket solved"]
    assert len(listed(client.get(url(), {"status": "all"}))) == 6
    assert listed(client.get(url(), {"status": "on_hold"})) == ["Ticket on_hold"]
    # An unknown filter falls back on the default one.
    assert len(listed(client.get(url(), {"status": "nonsense"}))) == 4
    tabs = dict((tab.key, count) for tab, count in client.get(url()).context["tabs"])
    assert tabs == {"active": 4, "done": 2, "all": 6}


def test_it_orders_by_last_public_message_or_status_change_newest_first(client, verified, make_ticket, agent):
    replied, status_changed, noted, untouched = (make_ticket(subject=s) for s in ("R", "S", "N", "U"))
    ticket_set_status(noted, Status.OPEN, actor=None)
    for ticket in (replied, status_changed, noted, untouched):
        age(ticket, 5)
    age(untouched, 1)  # the newest creation, but nothing happened since
    ticket_reply_by_requester(ticket=replied, body="More details", channel=Channel.WEB)
    Message.objects.filter(ticket=replied).update(created_at=timezone.now() - timedelta(hours=2))
    ticket_set_status(status_changed, Status.PENDING, actor=None)
    # An internal note is no update the requester can see: it does not move the ticket up.
    note(noted, agent, "Checking with the billing team")
    assert listed(client.get(url())) == ["S", "R", "U", "N"]


def test_it_says_who_spoke_last_from_public_messages_only(client, verified, make_ticket, agent):
    answered = make_ticket(subject="Answered")
    ticket_update_by_agent(answered, agent=agent, body="Please try again now.")
    noted = make_ticket(subject="Noted")
    note(noted, agent, "Internal: the customer is on the old plan")
    rows = {row["ticket"].subject: row["ticket"] for row in client.get(url()).context["rows"]}
    assert rows["Answered"].last_public_role == AuthorRole.AGENT
    assert rows["Noted"].last_public_role == AuthorRole.REQUESTER
    noted_row = table(client.get(url(), {"q": "Noted"}))
    assert '<td data-label="Last message from">You</td>' in noted_row and "Customer Care" not in noted_row
    assert "old plan" not in noted_row
    assert '<td data-label="Last message from">Customer Care</td>' in table(client.get(url(), {"q": "Answered"}))


def test_it_searches_every_word_in_the_subject_and_public_messages(client, verified, make_ticket, agent):
    make_ticket(subject="Export fails", description="The CSV button does nothing.")
    make_ticket(subject="Invoice missing", description="Where is my invoice for March?")
    answered = make_ticket(subject="Login loop", description="I cannot sign in.")
    ticket_update_by_agent(answered, agent=agent, body="Please clear your browser cookies.")
    assert listed(client.get(url(), {"q": "export"})) == ["Export fails"]
    assert listed(client.get(url(), {"q": "MARCH invoice"})) == ["Invoice missing"]
    assert listed(client.get(url(), {"q": "cookies"})) == ["Login loop"]
    # Every word must match.
    assert listed(client.get(url(), {"q": "export march"})) == []
    assert "No ticket matches these words" in client.get(url(), {"q": "export march"}).content.decode()


def test_it_never_searches_internal_notes(client, verified, make_ticket, agent):
    ticket = make_ticket(subject="Export fails")
    note(ticket, agent, "Known bug zanzibar in release 4.2")
    response = client.get(url(), {"q": "zanzibar", "status": "all"})
    assert listed(response) == []
    assert "Known bug" not in response.content.decode()
    # The same word in a public reply is found.
    ticket_reply_by_requester(ticket=ticket, body="Is zanzibar the cause?", channel=Channel.WEB)
    assert listed(client.get(url(), {"q": "zanzibar", "status": "all"})) == ["Export fails"]


def test_it_pages_by_25_and_keeps_the_filters_in_the_page_links(client, verified, make_ticket):
    for n in range(27):
        make_ticket(subject=f"Export {n}")
    first = client.get(url(), {"q": "export", "status": "all"})
    assert len(listed(first)) == 25
    assert "?status=all&amp;q=export&amp;page=2" in first.content.decode()
    second = client.get(url(), {"q": "export", "status": "all", "page": "2"})
    assert len(listed(second)) == 2


def list_queries(client, make_ticket, django_assert_num_queries, count: int) -> None:
    for n in range(count):
        ticket = make_ticket(subject=f"Export {n}")
        ticket_reply_by_requester(ticket=ticket, body="more", channel=Channel.WEB)
    # 1 session, 2 user, 3 verified address, 4 page count, 5 the page's tickets with their last
    # update and last speaker (subqueries), 6 the tabs' counts (one aggregate).
    with django_assert_num_queries(6):
        response = client.get(url(), {"q": "export"})
    assert len(listed(response)) == count


def test_it_runs_the_same_queries_for_one_ticket(client, verified, make_ticket, django_assert_num_queries):
    list_queries(client, make_ticket, django_assert_num_queries, 1)


def test_it_runs_the_same_queries_for_25_tickets(client, verified, make_ticket, django_assert_num_queries):
    list_queries(client, make_ticket, django_assert_num_queries, 25)


@pytest.mark.parametrize("count", [1, 25])
def test_a_sharing_organisation_adds_one_query_whatever_the_number_of_tickets(
    client, verified, make_ticket, django_assert_num_queries, count
):
    from comptoir.accounts.models import Organisation

    acme = Organisation.objects.create(name="Acme", shares_tickets=True)
    User.objects.filter(pk=verified.pk).update(organisation=acme)
    colleague = User.objects.create_user("bob@example.org", organisation=acme)
    for n in range(count):
        make_ticket(email=colleague.email if n % 2 else verified.email, subject=f"Export {n}")
    # The six above, and 7: the organisation named above the list.
    with django_assert_num_queries(7):
        response = client.get(url(), {"q": "export"})
    assert len(listed(response)) == count


def test_it_links_signed_in_requesters_but_not_agents_to_my_tickets(client, verified, agent):
    assert f'href="{url()}"' in client.get(url("home")).content.decode()
    client.force_login(agent)
    assert f'href="{url()}"' not in client.get(url("home")).content.decode()


def test_it_sends_requesters_to_my_tickets_and_agents_to_the_workspace_after_login(client, requester, agent):
    requester.set_password("requester-pass")
    requester.save()
    email_address_record(user=requester, verified=True)
    client.post("/accounts/login/", {"login": "alice@example.org", "password": "requester-pass"})
    assert client.get("/accounts/welcome/", HTTP_ACCEPT_LANGUAGE="en").headers["Location"] == url()
    client.logout()
    client.post("/accounts/login/", {"login": "agent@example.com", "password": "agent"})
    assert client.get("/accounts/welcome/", HTTP_ACCEPT_LANGUAGE="en").headers["Location"] == url("agent_tickets")
