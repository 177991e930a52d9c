"""What agents reach besides tickets and messages: merging, tags, groups, a ticket's service-level clocks.

Issue 18: "tickets (… merge) … groups, tags … SLA state". Each is the
workspace's: the same write (comptoir.tickets.merging), the same states as the
ticket page's "Service level" card; constant query counts per page.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.sla.models import Metric, SlaPolicy, TicketSla
from comptoir.tickets.models import EventKind, Message, Status, SupportGroup, Tag, Ticket
from comptoir.tickets.services import ticket_set_status, ticket_update_by_agent
from tests.api.conftest import People, token_for

pytestmark = pytest.mark.django_db


# --- Merge --------------------------------------------------------------------------------------


def test_merging_moves_the_conversation_and_closes_the_ticket_as_the_workspace_does(api, people: People):
    source, target = people.ticket_b, people.ticket_a
    moved = set(Message.objects.filter(ticket=source).values_list("pk", flat=True))

    response = api(
        "post", f"/api/v1/tickets/{source.reference}/merge/", token_for(people.agent), {"into": target.reference}
    )

    assert response.status_code == 200, response.content
    assert response.json()["reference"] == target.reference
    source.refresh_from_db()
    assert (source.status, source.merged_into_id) == (Status.CLOSED, target.pk)
    assert moved <= set(Message.objects.filter(ticket=target).values_list("pk", flat=True))
    assert target.events.filter(kind=EventKind.MERGED_FROM, new_value=f"#{source.reference}").exists()
    # Told by default: a public reply on each ticket says so.
    said = Message.objects.filter(ticket=target, body__contains=f"#{source.reference}").get()
    assert said.is_public is True


def test_a_merge_can_keep_it_to_internal_notes(api, people: People):
    response = api(
        "post",
        f"/api/v1/tickets/{people.ticket_b.reference}/merge/",
        token_for(people.agent),
        {"into": people.ticket_a.reference, "tell_requesters": False},
    )
    assert response.status_code == 200
    said = Message.objects.filter(ticket=people.ticket_a, body__contains=f"#{people.ticket_b.reference}").get()
    assert said.is_public is False


def test_a_merge_the_workspace_refuses_is_a_409_saying_why(api, people: People):
    people.ticket_a.refresh_from_db()
    assert ticket_set_status(people.ticket_a, Status.CLOSED, actor=people.agent)
    token = token_for(people.agent)

    into_closed = api(
        "post", f"/api/v1/tickets/{people.ticket_b.reference}/merge/", token, {"into": people.ticket_a.reference}
    )
    into_itself = api(
        "post", f"/api/v1/tickets/{people.ticket_b.reference}/merge/", token, {"into": people.ticket_b.reference}
    )
    nowhere = api("post", f"/api/v1/tickets/{people.ticket_b.reference}/merge/", token, {"into": 999999})

    assert (into_closed.status_code, into_closed.json()["type"]) == (409, "/api/v1/problems/merge-refused")
    assert (
        into_closed.json()["detail"] == f"Ticket #{people.ticket_a.reference} is closed: nothing can be merged into it."
    )
    assert into_itself.json()["detail"] == f"A ticket cannot be merged into itself (#{people.ticket_b.reference})."
    assert nowhere.status_code == 400
    assert nowhere.json()["errors"][0]["detail"] == "There is no ticket #999999."
    people.ticket_b.refresh_from_db()
    assert people.ticket_b.merged_into_id is None


def test_a_requester_never_merges(api, people: People):
    response = api(
        "post",
        f"/api/v1/tickets/{people.ticket_a.reference}/merge/",
        token_for(people.requester_a),
        {"into": people.ticket_b.reference},
    )
    assert response.status_code == 403
    assert Ticket.objects.filter(merged_into__isnull=False).count() == 0


# --- Tags and groups ----------------------------------------------------------------------------


def test_the_tags_each_with_how_many_tickets_have_it(api, people: People):
    ticket_update_by_agent(people.ticket_a, agent=people.agent, add_tags=["vip", "billing"])
    ticket_update_by_agent(people.ticket_b, agent=people.agent, add_tags=["vip"])
    Tag.objects.create(name="unused")

    rows = api("get", "/api/v1/tags/", token_for(people.agent)).json()["results"]

    assert rows == [{"name": "billing", "tickets": 1}, {"name": "unused", "tickets": 0}, {"name": "vip", "tickets": 2}]


def test_tags_page_by_name(api, people: People):
    Tag.objects.bulk_create(Tag(name=f"tag-{n:02}") for n in range(5))
    token = token_for(people.agent)
    read: list[str] = []
    link: str | None = "/api/v1/tags/?limit=2"
    while link:
        page = api("get", link, token).json()
        read += [row["name"] for row in page["results"]]
        link = page["next"]
    assert read == [f"tag-{n:02}" for n in range(5)]


def test_the_groups_with_their_ids_and_leads(api, people: People):
    second = SupportGroup.objects.create(name="Level 2", lead=people.agent)
    first = SupportGroup.objects.create(name="Billing")

    rows = api("get", "/api/v1/groups/", token_for(people.agent)).json()["results"]

    assert [(row["id"], row["name"]) for row in rows] == [(first.pk, "Billing"), (second.pk, "Level 2")]
    assert rows[1]["lead"] == {"id": people.agent.pk, "name": "Camille", "email": "agent@example.com"}


@pytest.mark.parametrize("path", ["/api/v1/tags/", "/api/v1/groups/"])
def test_a_requester_reads_no_tags_or_groups(api, people: People, path):
    assert api("get", path, token_for(people.requester_a)).status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/tags/", "/api/v1/groups/"])
def test_the_lists_cost_the_same_at_1_and_100_rows(api, people: People, path, django_assert_num_queries):
    SupportGroup.objects.bulk_create(SupportGroup(name=f"Group {n:03}", lead=people.agent) for n in range(100))
    Tag.objects.bulk_create(Tag(name=f"tag-{n:03}") for n in range(100))
    token = token_for(people.agent)
    api("get", path, token)  # "last used" noted: the steady state follows
    # 1 the address's rate-limit counter, 2 the token and its owner, 3 "last used", 4 the token's
    # counter, 5 the page (tags with their counts, groups with their leads).
    with django_assert_num_queries(5):
        one = api("get", path + "?limit=1", token)
    with django_assert_num_queries(5):
        hundred = api("get", path + "?limit=100", token)
    assert (len(one.json()["results"]), len(hundred.json()["results"])) == (1, 100)


# --- Service level ------------------------------------------------------------------------------


def clock(ticket: Ticket, policy: SlaPolicy, metric: str, *, cycle: int = 0, **fields) -> TicketSla:
    start = timezone.now() - timedelta(hours=3)
    values = {
        "started_at": start,
        "due_at": start + timedelta(hours=4),
        "warn_at": start + timedelta(hours=3, minutes=30),
    }
    return TicketSla.objects.create(ticket=ticket, policy=policy, metric=metric, cycle=cycle, **{**values, **fields})


def test_a_ticket_s_clocks_say_what_became_of_each(api, people: People):
    policy = SlaPolicy.objects.create(name="Standard")
    now = timezone.now()
    ticket = people.ticket_a
    clock(ticket, policy, Metric.FIRST_REPLY, achieved_at=now - timedelta(hours=2))
    clock(
        ticket, policy, Metric.NEXT_REPLY, cycle=1, due_at=now - timedelta(minutes=1), warn_at=now - timedelta(hours=1)
    )
    clock(ticket, policy, Metric.NEXT_REPLY, cycle=2, warn_at=now - timedelta(minutes=5))
    clock(ticket, policy, Metric.RESOLUTION, paused_since=now - timedelta(minutes=10))
    clock(people.ticket_b, policy, Metric.RESOLUTION)

    rows = api("get", f"/api/v1/tickets/{ticket.reference}/sla/", token_for(people.agent)).json()["results"]

    assert [(row["metric"], row["cycle"], row["state"]) for row in rows] == [
        ("first_reply", 0, "met"),
        ("next_reply", 1, "breached"),
        ("next_reply", 2, "warning"),
        ("resolution", 0, "paused"),
    ]
    assert {row["policy"] for row in rows} == {"Standard"}


def test_the_clocks_cost_the_same_at_1_and_100_rows(api, people: People, django_assert_num_queries):
    policy = SlaPolicy.objects.create(name="Standard")
    for cycle in range(100):
        clock(people.ticket_a, policy, Metric.NEXT_REPLY, cycle=cycle + 1)
    token = token_for(people.agent)
    path = f"/api/v1/tickets/{people.ticket_a.reference}/sla/"
    api("get", path, token)
    # The four of every request, the ticket, its tags, the page of clocks with their policies.
    with django_assert_num_queries(7):
        one = api("get", path + "?limit=1", token)
    with django_assert_num_queries(7):
        hundred = api("get", path + "?limit=100", token)
    assert (len(one.json()["results"]), len(hundred.json()["results"])) == (1, 100)
