"""Requesters, agents, organisations and satisfaction answers, for agents: what each list holds, at a constant cost.

Issue 18: "requesters and agents, organisations … satisfaction answers".
Who may read them is in test_access_matrix.py (agents only).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.accounts.models import Organisation, Role, User
from comptoir.tickets.models import Status, Survey, Ticket
from tests.api.conftest import People, token_for

pytestmark = pytest.mark.django_db


def rows(api, path: str, token: str) -> list[dict]:
    response = api("get", path, token)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_requesters_and_agents_are_listed_apart(api, people: People):
    acme = Organisation.objects.create(name="Acme")
    User.objects.filter(pk=people.requester_a.pk).update(organisation=acme)
    token = token_for(people.agent)

    requesters = rows(api, "/api/v1/requesters/", token)
    agents = rows(api, "/api/v1/agents/", token)

    assert [(row["email"], row["organisation"]) for row in requesters] == [
        ("alice@example.org", {"id": acme.pk, "name": "Acme"}),
        ("bob@example.net", None),
    ]
    assert [(row["email"], row["role"]) for row in agents] == [
        ("ada@example.com", "admin"),
        ("agent@example.com", "agent"),
    ]


def test_the_satisfaction_answers_newest_first_unanswered_left_out(api, people: People):
    now = timezone.now()
    older = Survey.objects.create(
        ticket=people.ticket_a, rating=2, comment="Slow.", answered_at=now - timedelta(days=1)
    )
    newer = Survey.objects.create(ticket=people.ticket_b, rating=5, answered_at=now)
    Survey.objects.create(ticket=people.ticket_b)  # offered, not answered

    answers = rows(api, "/api/v1/satisfaction/", token_for(people.agent))

    assert [(row["id"], row["ticket"], row["rating"], row["comment"]) for row in answers] == [
        (newer.pk, people.ticket_b.reference, 5, ""),
        (older.pk, people.ticket_a.reference, 2, "Slow."),
    ]


@pytest.mark.parametrize(
    "path", ["/api/v1/requesters/", "/api/v1/agents/", "/api/v1/organisations/", "/api/v1/satisfaction/"]
)
def test_each_list_costs_the_same_at_1_and_100_rows(api, people: People, make_ticket, path, django_assert_num_queries):
    acme = Organisation.objects.create(name="Acme")
    Organisation.objects.bulk_create(Organisation(name=f"Org {n:03}") for n in range(100))
    User.objects.bulk_create(
        User(email=f"r{n:03}@example.org", role=Role.REQUESTER, organisation=acme if n % 2 else None)
        for n in range(100)
    )
    User.objects.bulk_create(User(email=f"a{n:03}@example.com", role=Role.AGENT) for n in range(100))
    Survey.objects.bulk_create(
        Survey(ticket=people.ticket_a, rating=n % 5 + 1, answered_at=timezone.now() - timedelta(minutes=n))
        for n in range(100)
    )
    token = token_for(people.agent)
    api("get", path, token)  # "last used" noted: the steady state follows
    # 1 the address's rate-limit counter, 2 the token and its owner, 3 "last used", 4 the token's counter, 5 the page.
    with django_assert_num_queries(5):
        one = api("get", path + "?limit=1", token)
    with django_assert_num_queries(5):
        hundred = api("get", path + "?limit=100", token)
    assert (len(one.json()["results"]), len(hundred.json()["results"])) == (1, 100)


# --- One person or organisation ---------------------------------------------------------------------


def test_a_requester_with_their_ticket_counts(api, people: People, make_ticket):
    acme = Organisation.objects.create(name="Acme")
    User.objects.filter(pk=people.requester_a.pk).update(organisation=acme)
    solved = make_ticket(email="alice@example.org", name="Alice", subject="Second")
    Ticket.objects.filter(pk=solved.pk).update(status=Status.SOLVED)

    response = api("get", f"/api/v1/requesters/{people.requester_a.pk}/", token_for(people.agent))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["email"], body["organisation"], body["tickets_total"], body["tickets_unsolved"]) == (
        "alice@example.org",
        {"id": acme.pk, "name": "Acme"},
        2,
        1,
    )


def test_an_agent_by_id_and_people_looked_up_in_the_wrong_list_are_404(api, people: People):
    token = token_for(people.agent)

    agent = api("get", f"/api/v1/agents/{people.admin.pk}/", token)

    assert (agent.status_code, agent.json()["email"], agent.json()["role"]) == (200, "ada@example.com", "admin")
    # A requester is not an agent, an agent not a requester: each list answers for its own people only.
    assert api("get", f"/api/v1/agents/{people.requester_a.pk}/", token).status_code == 404
    assert api("get", f"/api/v1/requesters/{people.agent.pk}/", token).status_code == 404
    assert api("get", f"/api/v1/requesters/{2**63 - 1}/", token).status_code == 404


def test_an_organisation_by_id(api, people: People):
    acme = Organisation.objects.create(name="Acme", shares_tickets=True)
    token = token_for(people.agent)

    response = api("get", f"/api/v1/organisations/{acme.pk}/", token)

    assert (response.status_code, response.json()["name"], response.json()["shares_tickets"]) == (200, "Acme", True)
    assert api("get", f"/api/v1/organisations/{acme.pk + 1}/", token).status_code == 404


@pytest.mark.parametrize("path", ["requesters/{requester}/", "agents/{agent}/", "organisations/{organisation}/"])
def test_one_person_or_organisation_is_for_agents_only(api, people: People, path):
    acme = Organisation.objects.create(name="Acme")
    url = "/api/v1/" + path.format(requester=people.requester_a.pk, agent=people.agent.pk, organisation=acme.pk)

    assert api("get", url, None).status_code == 401
    assert api("get", url, token_for(people.requester_a)).status_code == 403
    assert api("get", url, token_for(people.requester_b)).status_code == 403
