"""Ticket fields in the API: read typed on tickets, written on create and update as the web checks them,
listed at /api/v1/ticket-fields/, and "solved" held back while a field required to solve is empty."""

from __future__ import annotations

import pytest

from comptoir.ticketforms.models import FieldKind, FieldValue, TicketField
from comptoir.ticketforms.services import ticket_values_record
from comptoir.tickets.models import EventKind, Macro, Status, Ticket, TicketEvent
from tests.api.conftest import People, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db) -> dict[str, TicketField]:
    made = [
        TicketField(key="order", kind=FieldKind.PATTERN, label_en="Order number", pattern=r"CMD-\d{6}"),
        TicketField(key="seats", kind=FieldKind.NUMBER, label_en="Seats"),
        TicketField(key="amount", kind=FieldKind.DECIMAL, label_en="Amount"),
        TicketField(key="since", kind=FieldKind.DATE, label_en="Since"),
        TicketField(
            key="apps",
            kind=FieldKind.MULTI_SELECT,
            label_en="Apps",
            label_fr="Applis",
            choices=[["web", "Web", "Web"], ["ios", "iOS", "iOS"]],
        ),
        TicketField(key="urgent", kind=FieldKind.CHECKBOX, label_en="Urgent"),
        TicketField(key="risk", kind=FieldKind.TEXT, label_en="Fraud risk", visible_to_customers=False),
        TicketField(key="plan", kind=FieldKind.TEXT, label_en="Plan", editable_by_customers=False),
    ]
    return {field.key: field for field in TicketField.objects.bulk_create(made)}


def test_an_agent_reads_every_value_typed_and_a_requester_the_visible_ones(api, people: People, fields):
    ticket_values_record(
        ticket=people.ticket_a,
        values={
            fields["order"]: "CMD-123456",
            fields["seats"]: 12,
            fields["amount"]: "19.5",
            fields["since"]: "2026-03-01",
            fields["apps"]: ["web", "ios"],
            fields["urgent"]: True,
            fields["risk"]: "high",
        },
    )
    path = f"/api/v1/tickets/{people.ticket_a.reference}/"

    agent = api("get", path, token_for(people.agent)).json()
    requester = api("get", path, token_for(people.requester_a)).json()

    assert agent["fields"] == {
        "amount": 19.5,
        "apps": ["web", "ios"],
        "order": "CMD-123456",
        "risk": "high",
        "seats": 12,
        "since": "2026-03-01",
        "urgent": True,
    }
    assert "risk" not in requester["fields"] and requester["fields"]["seats"] == 12
    # A ticket without values: an empty object, on the other ticket in the list.
    listed = api("get", "/api/v1/tickets/", token_for(people.agent)).json()["results"]
    assert {row["reference"]: row["fields"] for row in listed}[people.ticket_b.reference] == {}


def test_the_list_costs_one_query_more_whatever_the_number_of_tickets(
    api, people: People, fields, make_ticket, django_assert_num_queries
):
    for n in range(30):
        ticket = make_ticket(email=f"p{n}@example.org")
        ticket_values_record(ticket=ticket, values={fields["seats"]: n, fields["order"]: "CMD-000001"})
    token = token_for(people.agent)
    api("get", "/api/v1/tickets/?limit=1", token)
    # tests/api/test_ticket_list.py names each query; the values (with their fields) are one of them.
    with django_assert_num_queries(7):
        one = api("get", "/api/v1/tickets/?limit=1", token)
    with django_assert_num_queries(7):
        thirty = api("get", "/api/v1/tickets/?limit=40", token)
    assert len(one.json()["results"]) == 1
    assert sum(1 for row in thirty.json()["results"] if row["fields"].get("order") == "CMD-000001") == 30


def test_an_agent_opens_a_ticket_with_fields(api, people: People, fields):
    response = api(
        "post",
        "/api/v1/tickets/",
        token_for(people.agent),
        {
            "subject": "Seats",
            "body": "More seats.",
            "requester_email": "carla@example.org",
            "fields": {"seats": "15", "amount": 3.25, "apps": ["ios"], "urgent": True, "risk": "low", "order": ""},
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["fields"] == {"seats": 15, "amount": 3.25, "apps": ["ios"], "urgent": True, "risk": "low"}


def test_values_the_web_refuses_are_refused_with_the_key_named(api, people: People, fields):
    tickets = Ticket.objects.count()
    response = api(
        "post",
        "/api/v1/tickets/",
        token_for(people.requester_a),
        {
            "subject": "Order",
            "body": "Where is it?",
            "fields": {"order": "CMD-12", "nope": 1, "risk": "low", "plan": "gold", "apps": "web", "seats": True},
        },
    )
    assert response.status_code == 400
    problem = response.json()
    errors = {error["pointer"]: error["detail"] for error in problem["errors"]}
    assert errors["#/fields/order"] == "“CMD-12” does not have the expected form."
    # An agent-only field is no field at all for a requester.
    assert errors["#/fields/nope"] == errors["#/fields/risk"].replace("risk", "nope")
    assert errors["#/fields/plan"] == "Only agents fill in this field."
    assert set(errors) == {
        "#/fields/order",
        "#/fields/nope",
        "#/fields/risk",
        "#/fields/plan",
        "#/fields/apps",
        "#/fields/seats",
    }
    assert Ticket.objects.count() == tickets


def test_a_requester_sets_the_fields_customers_fill_in(api, people: People, fields):
    response = api(
        "post",
        "/api/v1/tickets/",
        token_for(people.requester_a),
        {"subject": "Order", "body": "Where is it?", "fields": {"order": "CMD-123456", "since": "2026-02-03"}},
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=Ticket.pk_from_reference(response.json()["reference"]))
    assert dict(FieldValue.objects.filter(ticket=ticket).values_list("field__key", "value")) == {
        "order": "CMD-123456",
        "since": "2026-02-03",
    }


def test_an_agent_s_change_is_recorded_as_the_web_s(api, people: People, fields):
    ticket = people.ticket_a
    ticket_values_record(ticket=ticket, values={fields["seats"]: 3})
    response = api(
        "patch",
        f"/api/v1/tickets/{ticket.reference}/",
        token_for(people.agent),
        {"fields": {"seats": 4, "order": "CMD-111111"}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["fields"] == {"seats": 4, "order": "CMD-111111"}
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.FIELD).order_by("id")
    assert sorted(event.old_value for event in events) == ["order", "seats"]
    assert all(event.actor == people.agent for event in events)
    # null removes a value; a field-only change is no reply: the status stays.
    status = Ticket.objects.get(pk=ticket.pk).status
    response = api(
        "patch", f"/api/v1/tickets/{ticket.reference}/", token_for(people.agent), {"fields": {"seats": None}}
    )
    assert response.json()["fields"] == {"order": "CMD-111111"}
    assert Ticket.objects.get(pk=ticket.pk).status == status


def test_solving_is_a_409_naming_the_empty_fields_until_they_are_filled_in(api, people: People, fields):
    TicketField.objects.filter(key__in=["order", "risk"]).update(required_to_solve=True)
    ticket = people.ticket_a
    token = token_for(people.agent)
    path = f"/api/v1/tickets/{ticket.reference}/"

    refused = api("patch", path, token, {"status": "solved", "priority": "high"})

    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "/api/v1/problems/solve-held"
    assert problem["fields"] == ["order", "risk"]
    assert "“Order number”, “Fraud risk”" in problem["detail"]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) != (Status.SOLVED, "high")
    # A reply that solves is held back the same.
    reply = api("post", path + "messages/", token, {"body": "Done.", "status": "solved"})
    assert reply.status_code == 409 and reply.json()["fields"] == ["order", "risk"]
    # The values given in the same request as the status: written first, and the ticket is solved.
    done = api("patch", path, token, {"status": "solved", "fields": {"order": "CMD-123456", "risk": "low"}})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == Status.SOLVED


def test_a_refused_solve_keeps_none_of_the_request_s_values(api, people: People, fields):
    TicketField.objects.filter(key__in=["order", "risk"]).update(required_to_solve=True)
    path = f"/api/v1/tickets/{people.ticket_a.reference}/"
    refused = api("patch", path, token_for(people.agent), {"status": "solved", "fields": {"order": "CMD-123456"}})
    assert refused.status_code == 409 and refused.json()["fields"] == ["risk"]
    assert not FieldValue.objects.filter(ticket=people.ticket_a).exists()


def test_a_canned_reply_that_solves_is_held_back_by_the_api_too(api, people: People, fields):
    TicketField.objects.filter(key="order").update(required_to_solve=True)
    macro = Macro.objects.create(title="Done", body="Done.", status=Status.SOLVED)
    path = f"/api/v1/tickets/{people.ticket_a.reference}/macros/{macro.pk}/apply/"
    refused = api("post", path, token_for(people.agent), {})
    assert refused.status_code == 409
    assert (refused.json()["type"], refused.json()["fields"]) == ("/api/v1/problems/solve-held", ["order"])
    ticket_values_record(ticket=people.ticket_a, values={fields["order"]: "CMD-123456"})
    assert api("post", path, token_for(people.agent), {}).json()["status"] == Status.SOLVED


def test_the_fields_list_tells_a_program_what_each_takes(api, people: People, fields):
    TicketField.objects.filter(key="apps").update(shown_when_field=fields["urgent"], shown_when_value="yes")
    TicketField.objects.filter(key="plan").update(archived=True)

    agent = api("get", "/api/v1/ticket-fields/", token_for(people.agent)).json()["results"]
    requester = api("get", "/api/v1/ticket-fields/", token_for(people.requester_a)).json()["results"]

    assert [row["key"] for row in agent] == sorted(fields)
    # The requester's side: the fields visible to customers and still asked.
    assert [row["key"] for row in requester] == sorted(set(fields) - {"risk", "plan"})
    apps = next(row for row in agent if row["key"] == "apps")
    assert apps["kind"] == "multi_select"
    assert apps["choices"] == [
        {"value": "web", "label_fr": "Web", "label_en": "Web"},
        {"value": "ios", "label_fr": "iOS", "label_en": "iOS"},
    ]
    assert (apps["label_fr"], apps["label_en"], apps["shown_when"]) == (
        "Applis",
        "Apps",
        {"field": "urgent", "value": "yes"},
    )
    assert {"visible_to_customers", "editable_by_customers", "required", "required_to_solve", "archived"} <= set(apps)


def test_the_fields_list_costs_the_same_at_1_and_100_rows(api, people: People, django_assert_num_queries):
    first = TicketField.objects.create(key="a000", kind=FieldKind.TEXT)
    TicketField.objects.bulk_create(
        TicketField(key=f"a{n:03}", kind=FieldKind.TEXT, shown_when_field=first, shown_when_value="x")
        for n in range(1, 101)
    )
    token = token_for(people.agent)
    api("get", "/api/v1/ticket-fields/?limit=1", token)
    with django_assert_num_queries(5):
        one = api("get", "/api/v1/ticket-fields/?limit=1", token)
    with django_assert_num_queries(5):
        hundred = api("get", "/api/v1/ticket-fields/?limit=100", token)
    assert (len(one.json()["results"]), len(hundred.json()["results"])) == (1, 100)
