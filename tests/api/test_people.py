"""Requesters, agents, organisations and satisfaction answers, for agents: what each list holds, at a constant cost.

Issue 18: "requesters and agents, organisations … satisfaction answers".
Who may read them is in test_access_matrix.py (agents only).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.accounts.models import Organisation, Role, User
from comptoir.tickets.models import Survey
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
