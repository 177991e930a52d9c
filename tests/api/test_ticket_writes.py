"""Writes through the API: the same services as the web, so the same rules, events and e-mails; Idempotency-Key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.api.idempotency import idempotency_keys_purge
from comptoir.api.models import IdempotencyKey
from comptoir.mail.models import OutboundEmail
from comptoir.tickets.models import AuthorRole, Channel, EventKind, Message, SenderBlock, Status, SupportGroup, Ticket
from comptoir.tickets.services import ticket_update_by_agent
from tests.api.conftest import People, token_for

pytestmark = pytest.mark.django_db

NEW = {"subject": "Lost parcel", "body": "Order 77 never came."}


def ticket_of(response) -> Ticket:
    assert response.status_code == 201, response.content
    return Ticket.objects.get(pk=Ticket.pk_from_reference(response.json()["reference"]))


def kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("pk").values_list("kind", flat=True))


# --- Opening a ticket -------------------------------------------------------------------------


def test_an_agent_opens_a_ticket_for_a_customer_as_the_workspace_does(api, people: People):
    response = api(
        "post",
        "/api/v1/tickets/",
        token_for(people.agent),
        {
            **NEW,
            "requester_email": "Carla@Example.org",
            "requester_name": "Carla",
            "type": "incident",
            "priority": "high",
            "language": "fr",
            "written_by": "agent",
            "confirm": False,
            "assignee": people.agent.pk,
        },
    )
    ticket = ticket_of(response)
    assert response["Location"] == f"http://testserver/api/v1/tickets/{ticket.reference}/"
    assert (ticket.requester.email, ticket.requester.name) == ("carla@example.org", "Carla")
    assert (ticket.type, ticket.priority, ticket.language, ticket.channel) == ("incident", "high", "fr", Channel.API)
    assert ticket.assignee == people.agent
    first = ticket.messages.get()
    assert (first.author, first.author_role, first.channel) == (people.agent, AuthorRole.AGENT, Channel.API)
    created = ticket.events.get(kind=EventKind.CREATED)
    assert created.actor == people.agent
    # No confirmation asked: nothing for the customer in the outbox.
    assert not OutboundEmail.objects.filter(ticket=ticket, to_address="carla@example.org").exists()


def test_a_customer_gets_the_confirmation_by_default(api, people):
    ticket = ticket_of(api("post", "/api/v1/tickets/", token_for(people.agent), {**NEW, "requester_email": "d@x.org"}))
    assert ticket.messages.get().author_role == AuthorRole.REQUESTER
    assert OutboundEmail.objects.filter(ticket=ticket, to_address="d@x.org").exists()


def test_an_agent_names_the_customer(api, people):
    response = api("post", "/api/v1/tickets/", token_for(people.agent), NEW)
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/requester_email"


def test_the_help_desk_s_own_address_is_no_customer(api, people, settings):
    response = api(
        "post", "/api/v1/tickets/", token_for(people.agent), {**NEW, "requester_email": settings.COMPTOIR_SUPPORT_EMAIL}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "help_desk_address"


def test_an_assignee_must_be_an_agent(api, people):
    response = api(
        "post",
        "/api/v1/tickets/",
        token_for(people.agent),
        {**NEW, "requester_email": "d@x.org", "assignee": people.requester_b.pk},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/assignee"


def test_a_requester_opens_a_ticket_for_themselves_without_a_captcha(api, people):
    people.requester_a.language = "fr"
    people.requester_a.save(update_fields=["language"])
    ticket = ticket_of(api("post", "/api/v1/tickets/", token_for(people.requester_a), {**NEW, "type": "incident"}))
    assert ticket.requester == people.requester_a
    assert (ticket.channel, ticket.type, ticket.language) == (Channel.API, "incident", "fr")
    assert kinds(ticket) == [EventKind.CREATED]
    body = api("get", f"/api/v1/tickets/{ticket.reference}/", token_for(people.requester_a)).json()
    assert body["subject"] == "Lost parcel"


def test_a_requester_sets_none_of_the_agents_fields(api, people):
    response = api(
        "post",
        "/api/v1/tickets/",
        token_for(people.requester_a),
        {**NEW, "requester_email": "bob@example.net", "priority": "urgent"},
    )
    assert response.status_code == 400
    assert {error["pointer"] for error in response.json()["errors"]} == {"#/requester_email", "#/priority"}
    assert Ticket.objects.count() == 2


def test_a_blocked_sender_opens_no_ticket(api, people):
    SenderBlock.objects.create(pattern="@example.org")
    response = api("post", "/api/v1/tickets/", token_for(people.requester_a), NEW)
    assert response.status_code == 403
    assert "not accepted" in response.json()["detail"]
    assert Ticket.objects.count() == 2


# --- Idempotency-Key --------------------------------------------------------------------------


def test_a_retried_create_with_the_same_key_returns_the_first_ticket(api, people):
    token = token_for(people.agent)
    data = {**NEW, "requester_email": "carla@example.org"}
    first = api("post", "/api/v1/tickets/", token, data, HTTP_IDEMPOTENCY_KEY="order-77")
    again = api("post", "/api/v1/tickets/", token, data, HTTP_IDEMPOTENCY_KEY="order-77")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Ticket.objects.filter(requester__email="carla@example.org").count() == 1
    # Only hashes are kept.
    assert not IdempotencyKey.objects.filter(key_hash="order-77").exists()


def test_the_same_key_with_another_request_is_refused(api, people):
    token = token_for(people.agent)
    api("post", "/api/v1/tickets/", token, {**NEW, "requester_email": "c@x.org"}, HTTP_IDEMPOTENCY_KEY="k1")
    response = api(
        "post", "/api/v1/tickets/", token, {**NEW, "requester_email": "other@x.org"}, HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/api/v1/problems/idempotency-key-reused"
    assert not Ticket.objects.filter(requester__email="other@x.org").exists()


def test_a_key_belongs_to_its_owner(api, people):
    """Two owners choosing the same key each get their ticket: a key is never a way into another's."""
    a = ticket_of(api("post", "/api/v1/tickets/", token_for(people.requester_a), NEW, HTTP_IDEMPOTENCY_KEY="k"))
    b = ticket_of(api("post", "/api/v1/tickets/", token_for(people.requester_b), NEW, HTTP_IDEMPOTENCY_KEY="k"))
    assert a != b
    assert (a.requester, b.requester) == (people.requester_a, people.requester_b)


def test_a_key_is_remembered_for_a_day(api, people):
    token = token_for(people.requester_a)
    first = ticket_of(api("post", "/api/v1/tickets/", token, NEW, HTTP_IDEMPOTENCY_KEY="k"))
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    second = ticket_of(api("post", "/api/v1/tickets/", token, NEW, HTTP_IDEMPOTENCY_KEY="k"))
    assert second != first
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_purge() == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "line\nbreak"])
def test_a_key_is_1_to_255_printable_characters(api, people, key):
    response = api("post", "/api/v1/tickets/", token_for(people.requester_a), NEW, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "Idempotency-Key"
    assert Ticket.objects.count() == 2


def test_a_refused_create_claims_no_key(api, people):
    token = token_for(people.requester_a)
    assert api("post", "/api/v1/tickets/", token, {"subject": ""}, HTTP_IDEMPOTENCY_KEY="k").status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert api("post", "/api/v1/tickets/", token, NEW, HTTP_IDEMPOTENCY_KEY="k").status_code == 201


# --- Changing a ticket ------------------------------------------------------------------------


def test_an_agent_changes_the_fields_as_in_the_workspace(api, people):
    group = SupportGroup.objects.create(name="Billing")
    ticket = people.ticket_a
    ticket_update_by_agent(ticket, agent=people.agent, add_tags=["old"])
    response = api(
        "patch",
        f"/api/v1/tickets/{ticket.reference}/",
        token_for(people.agent),
        {
            "status": "pending",
            "priority": "urgent",
            "type": "incident",
            "group": group.pk,
            "assignee": people.admin.pk,
            "tags": ["VIP", "late delivery"],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["type"]) == ("pending", "urgent", "incident")
    assert (body["group"]["name"], body["assignee"]["id"]) == ("Billing", people.admin.pk)
    assert body["tags"] == ["late-delivery", "vip"]
    changed = set(kinds(ticket))
    assert {EventKind.STATUS, EventKind.PRIORITY, EventKind.TYPE, EventKind.GROUP, EventKind.ASSIGNEE} <= changed
    assert {EventKind.TAG_ADDED, EventKind.TAG_REMOVED} <= changed


def test_fields_left_out_stay_as_they_are(api, people):
    ticket = people.ticket_a
    ticket_update_by_agent(ticket, agent=people.agent, assignee=people.agent, add_tags=["vip"])
    response = api("patch", f"/api/v1/tickets/{ticket.reference}/", token_for(people.agent), {"priority": "low"})
    body = response.json()
    assert (body["priority"], body["assignee"]["id"], body["tags"]) == ("low", people.agent.pk, ["vip"])
    response = api("patch", f"/api/v1/tickets/{ticket.reference}/", token_for(people.agent), {"assignee": None})
    assert response.json()["assignee"] is None


def test_a_closed_ticket_changes_no_more(api, people):
    ticket = people.ticket_a
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    token = token_for(people.agent)
    response = api("patch", f"/api/v1/tickets/{ticket.reference}/", token, {"priority": "urgent"})
    assert (response.status_code, response.json()["type"]) == (409, "/api/v1/problems/ticket-closed")
    reply = api("post", f"/api/v1/tickets/{ticket.reference}/messages/", token, {"body": "Hello?"})
    assert reply.status_code == 409
    # An internal note is still taken, as in the workspace.
    note = api("post", f"/api/v1/tickets/{ticket.reference}/messages/", token, {"body": "FYI", "public": False})
    assert note.status_code == 201


@pytest.mark.parametrize("status", ["new", "closed", "asleep"])
def test_an_agent_sets_only_the_statuses_the_workspace_offers(api, people, status):
    response = api(
        "patch", f"/api/v1/tickets/{people.ticket_a.reference}/", token_for(people.agent), {"status": status}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/status"


def test_a_tag_too_long_is_pointed_at(api, people):
    response = api(
        "patch", f"/api/v1/tickets/{people.ticket_a.reference}/", token_for(people.agent), {"tags": ["ok", "x" * 51]}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/tags/1"


# --- Messages ---------------------------------------------------------------------------------


def test_an_agent_replies_and_solves_in_one_request(api, people):
    ticket = people.ticket_a
    response = api(
        "post",
        f"/api/v1/tickets/{ticket.reference}/messages/",
        token_for(people.agent),
        {"body": "Fixed in 4.3.", "status": "solved"},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["public"], body["author_role"], body["channel"]) == (True, "agent", "api")
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    # The requester hears of it as from the workspace: the "solved" e-mail carrying the reply.
    assert OutboundEmail.objects.filter(ticket=ticket, to_address="alice@example.org").exists()


def test_a_requester_s_reply_reopens_a_solved_ticket(api, people):
    ticket = people.ticket_a
    ticket_update_by_agent(ticket, agent=people.agent, body="Fixed.", status=Status.SOLVED)
    response = api(
        "post", f"/api/v1/tickets/{ticket.reference}/messages/", token_for(people.requester_a), {"body": "No"}
    )
    assert (response.status_code, response.json()["author_role"]) == (201, "requester")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_requester_s_reply_to_a_closed_ticket_opens_a_follow_up(api, people):
    ticket = people.ticket_a
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    response = api(
        "post", f"/api/v1/tickets/{ticket.reference}/messages/", token_for(people.requester_a), {"body": "Again!"}
    )
    assert response.status_code == 201
    follow_up = Ticket.objects.get(follow_up_of=ticket)
    assert response.json()["ticket"] == follow_up.reference
    assert Message.objects.get(pk=response.json()["id"]).ticket == follow_up


@pytest.mark.parametrize(("field", "value"), [("public", False), ("status", "solved")])
def test_a_requester_writes_public_replies_only(api, people, field, value):
    ticket = people.ticket_a
    messages = Message.objects.filter(ticket=ticket).count()
    response = api(
        "post",
        f"/api/v1/tickets/{ticket.reference}/messages/",
        token_for(people.requester_a),
        {"body": "Hi", field: value},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == f"#/{field}"
    assert Message.objects.filter(ticket=ticket).count() == messages


def test_a_message_needs_words(api, people):
    response = api(
        "post", f"/api/v1/tickets/{people.ticket_a.reference}/messages/", token_for(people.agent), {"body": "  "}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "pointer": "#/body",
        "detail": "This field may not be blank.",
        "code": "blank",
    }


def test_a_replay_shows_the_ticket_only_to_whom_it_is_visible_now(api, people):
    """Handed to another requester since, the ticket is not shown again to the first one by replaying the key."""
    token = token_for(people.requester_a)
    ticket = ticket_of(api("post", "/api/v1/tickets/", token, NEW, HTTP_IDEMPOTENCY_KEY="k-moved"))
    Ticket.objects.filter(pk=ticket.pk).update(requester=people.requester_b)

    again = api("post", "/api/v1/tickets/", token, NEW, HTTP_IDEMPOTENCY_KEY="k-moved")

    assert again.status_code == 404
    assert people.requester_b.email not in again.content.decode()
    assert Ticket.objects.filter(subject=NEW["subject"]).count() == 1


def test_a_requester_opens_no_more_tickets_by_the_api_than_by_the_form(api, people, settings):
    """The Help Center form's limit per address holds for a token too, and is shared with the form."""
    settings.COMPTOIR_RATE_LIMIT_TICKETS_PER_EMAIL = 2
    token = token_for(people.requester_a)
    before = Ticket.objects.filter(requester=people.requester_a).count()

    answers = [api("post", "/api/v1/tickets/", token, NEW) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert int(answers[2]["Retry-After"]) >= 1
    assert answers[2].json()["type"] == "/api/v1/problems/rate-limited"
    assert Ticket.objects.filter(requester=people.requester_a).count() == before + 2
