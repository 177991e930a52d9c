"""The ticket list: the workspace search's syntax and filters, cursor pages stable under inserts, constant cost."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from comptoir.accounts.models import Organisation, User
from comptoir.accounts.services import email_address_record
from comptoir.tickets.models import SupportGroup, Ticket
from comptoir.tickets.services import ticket_mark_spam, ticket_update_by_agent
from tests.api.conftest import INTERNAL_NOTE, People, token_for

pytestmark = pytest.mark.django_db


def references(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def cursor_of(link: str | None) -> str:
    assert link is not None
    return parse_qs(urlsplit(link).query)["cursor"][0]


def test_filters_read_the_workspace_search_s_values(api, people: People):
    token = token_for(people.agent)
    group = SupportGroup.objects.create(name="Level 2")
    ticket_update_by_agent(
        people.ticket_a, agent=people.agent, assignee=people.agent, group=group, add_tags=["vip"], priority="high"
    )
    ticket_update_by_agent(people.ticket_b, agent=people.agent, status="solved")
    a, b = people.ticket_a.reference, people.ticket_b.reference

    assert references(api("get", "/api/v1/tickets/?assignee=me", token)) == [a]
    assert references(api("get", "/api/v1/tickets/?assignee=none", token)) == [b]
    assert references(api("get", "/api/v1/tickets/?group=Level 2&tag=VIP", token)) == [a]
    # The search box's words for values, French ones included.
    assert references(api("get", "/api/v1/tickets/?status=unsolved", token)) == [a]
    assert references(api("get", "/api/v1/tickets/?status=résolu", token)) == [b]
    assert references(api("get", "/api/v1/tickets/?priority=haute", token)) == [a]
    assert references(api("get", "/api/v1/tickets/?requester=bob@example.net", token)) == [b]
    # And q, the box itself.
    assert references(api("get", "/api/v1/tickets/?q=tag:vip -status:solved", token)) == [a]
    assert references(api("get", f"/api/v1/tickets/?q=%23{b}", token)) == [b]
    assert references(api("get", "/api/v1/tickets/?q=printer", token)) == [a]


def test_a_filter_value_the_search_does_not_know_is_an_error_naming_the_parameter(api, people):
    response = api("get", "/api/v1/tickets/?status=sleeping&priority=whenever", token_for(people.agent))
    assert response.status_code == 400
    errors = {error["parameter"]: error["detail"] for error in response.json()["errors"]}
    assert set(errors) == {"status", "priority"}
    assert "sleeping" in errors["status"]


def test_what_q_does_not_understand_comes_back_as_notices(api, people):
    response = api("get", "/api/v1/tickets/?q=colour:blue", token_for(people.agent))
    assert response.status_code == 200
    assert response.json()["notices"] == ["“colour:blue” is not a filter this search knows: it was searched as words."]


def test_spam_stays_out_of_the_list_but_its_page_opens(api, people):
    ticket_mark_spam(people.ticket_b, agent=people.agent)
    token = token_for(people.agent)
    assert references(api("get", "/api/v1/tickets/", token)) == [people.ticket_a.reference]
    assert api("get", f"/api/v1/tickets/{people.ticket_b.reference}/", token).status_code == 200


def test_a_requester_s_words_never_match_an_internal_note(api, people):
    token = token_for(people.requester_a)
    assert INTERNAL_NOTE.split()[0] == "Refund"
    assert references(api("get", "/api/v1/tickets/?q=refund", token)) == []
    assert references(api("get", "/api/v1/tickets/?q=chargebacks", token)) == []
    # Their own words, in the subject or a public message, do.
    assert references(api("get", "/api/v1/tickets/?q=printer", token)) == [people.ticket_a.reference]
    assert references(api("get", "/api/v1/tickets/?q=export button", token)) == [people.ticket_a.reference]
    # The agent's search finds the note, as in the workspace.
    found = references(api("get", "/api/v1/tickets/?q=chargebacks", token_for(people.agent)))
    assert sorted(found) == [people.ticket_a.reference, people.ticket_b.reference]


def test_a_requester_filters_only_by_what_the_help_center_shows(api, people):
    token = token_for(people.requester_a)
    response = api("get", "/api/v1/tickets/?assignee=me", token)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"parameter": "assignee", "detail": "Only agents filter by this.", "code": "invalid"}
    ]
    # Typed in q, an agents' filter is searched as words, as any filter the search does not know.
    listed = api("get", "/api/v1/tickets/?q=tag:vip", token)
    assert references(listed) == []
    assert listed.json()["notices"] == ["“tag:vip” is not a filter this search knows: it was searched as words."]
    assert references(api("get", "/api/v1/tickets/?status=open&type=question", token)) == [people.ticket_a.reference]


def test_a_requester_sees_the_organisation_s_tickets_when_it_shares_them(api, people):
    acme = Organisation.objects.create(name="Acme")
    people.requester_a.organisation = acme
    people.requester_a.save(update_fields=["organisation"])
    colleague = User.objects.create_user("carol@example.org", organisation=acme)
    email_address_record(user=colleague, verified=True)
    token = token_for(colleague)
    a = people.ticket_a.reference
    assert references(api("get", "/api/v1/tickets/", token)) == []
    assert api("get", f"/api/v1/tickets/{a}/", token).status_code == 404
    acme.shares_tickets = True
    acme.save(update_fields=["shares_tickets"])
    assert references(api("get", "/api/v1/tickets/", token)) == [a]
    assert api("get", f"/api/v1/tickets/{a}/", token).status_code == 200
    # And replies in their own name, as on the web.
    reply = api("post", f"/api/v1/tickets/{a}/messages/", token, {"body": "Same here."})
    assert (reply.status_code, reply.json()["author"]["id"]) == (201, colleague.pk)


def test_an_unverified_requester_sees_no_ticket(api, people):
    user = User.objects.create_user("new@example.org")
    response = api("get", "/api/v1/tickets/", token_for(user))
    assert (response.status_code, response.json()["type"]) == (403, "/api/v1/problems/address-unverified")
    # Who they are, they may read.
    assert api("get", "/api/v1/me/", token_for(user)).status_code == 200


@pytest.mark.parametrize("sort", ["-updated", "-created", "created"])
def test_cursor_pages_are_stable_under_inserts(api, people, make_ticket, sort):
    token = token_for(people.agent)
    for n in range(5):
        make_ticket(subject=f"Older {n}")
    everything = references(api("get", f"/api/v1/tickets/?limit=100&sort={sort}", token))
    assert len(everything) == 7

    first = api("get", f"/api/v1/tickets/?limit=3&sort={sort}", token)
    seen = references(first)
    for n in range(4):
        make_ticket(subject=f"Newer {n}")  # while the client pages through
    link = first.json()["next"]
    while link:
        page = api("get", f"/api/v1/tickets/?limit=3&sort={sort}&cursor={cursor_of(link)}", token)
        seen += references(page)
        link = page.json()["next"]

    if sort == "created":
        # Oldest first: the new ones come at the end, after every one that was there.
        assert seen[:7] == everything and len(seen) == 11
    else:
        # Newest first: what was there is read once each, in order; the new ones are on the first page.
        assert seen == everything


def test_the_previous_link_leads_back(api, people, make_ticket):
    token = token_for(people.agent)
    for n in range(3):
        make_ticket(subject=f"Older {n}")
    first = api("get", "/api/v1/tickets/?limit=2", token)
    second = api("get", f"/api/v1/tickets/?limit=2&cursor={cursor_of(first.json()['next'])}", token)
    back = api("get", f"/api/v1/tickets/?limit=2&cursor={cursor_of(second.json()['previous'])}", token)
    assert first.json()["previous"] is None
    assert references(back) == references(first)


@pytest.mark.parametrize("cursor", [base64.b64encode(b"p=2026-13-45").decode(), base64.b64encode(b"p=x").decode()])
def test_a_cursor_that_is_not_ours_is_a_400(api, people, cursor):
    response = api("get", "/api/v1/tickets/", token_for(people.agent), {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "cursor"


@pytest.mark.parametrize("limit", ["0", "101", "-1", "many"])
def test_limit_is_between_1_and_100(api, people, limit):
    response = api("get", f"/api/v1/tickets/?limit={limit}", token_for(people.agent))
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "limit"


def test_the_list_costs_the_same_queries_at_1_and_100_rows(api, people, make_ticket, django_assert_num_queries):
    """Issue 18: a page of 100 tickets costs what a page of 1 does."""
    group = SupportGroup.objects.create(name="Level 2")
    for n in range(100):
        ticket = make_ticket(subject=f"Ticket {n}")
        if n % 3 == 0:
            ticket_update_by_agent(ticket, agent=people.agent, assignee=people.agent, group=group, add_tags=["vip"])
    token = token_for(people.agent)
    api("get", "/api/v1/tickets/?limit=1", token)  # "last used" noted: the steady state follows
    # 1 the address's rate-limit counter, 2 the token and its owner, 3 "last used" (a no-op UPDATE within
    # the minute), 4 the token's rate-limit counter, 5 the page's tickets with requester, assignee and
    # group, 6 their tags, 7 their ticket fields' values with the fields (comptoir.ticketforms.values).
    with django_assert_num_queries(7):
        one = api("get", "/api/v1/tickets/?limit=1", token)
    with django_assert_num_queries(7):
        hundred = api("get", "/api/v1/tickets/?limit=100", token)
    assert (len(references(one)), len(references(hundred))) == (1, 100)
    assert any(row["tags"] == ["vip"] and row["group"]["name"] == "Level 2" for row in hundred.json()["results"])


def test_a_requester_s_list_costs_the_same_at_1_and_100_rows(api, people, make_ticket, django_assert_num_queries):
    for n in range(100):
        make_ticket(email="alice@example.org", subject=f"Ticket {n}")
    token = token_for(people.requester_a)
    api("get", "/api/v1/tickets/?limit=1", token)
    # The agent's seven, and whether the requester's address is verified.
    with django_assert_num_queries(8):
        one = api("get", "/api/v1/tickets/?limit=1&q=ticket", token)
    with django_assert_num_queries(8):
        hundred = api("get", "/api/v1/tickets/?limit=100&q=ticket", token)
    assert (len(references(one)), len(references(hundred))) == (1, 100)
    assert Ticket.objects.count() == 102


def test_the_conversation_costs_the_same_queries_at_1_and_100_messages(api, people, django_assert_num_queries):
    ticket = people.ticket_a
    for n in range(100):
        ticket_update_by_agent(ticket, agent=people.agent, body=f"Note {n}", is_public=False)
    token = token_for(people.agent)
    path = f"/api/v1/tickets/{ticket.reference}/messages/"
    api("get", path, token)
    # The four of every request, the ticket (with requester, assignee, group), its tags,
    # the page of messages with their authors, their attachments.
    with django_assert_num_queries(8):
        one = api("get", path + "?limit=1", token)
    with django_assert_num_queries(8):
        hundred = api("get", path + "?limit=100", token)
    assert (len(one.json()["results"]), len(hundred.json()["results"])) == (1, 100)
