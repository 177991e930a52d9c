"""A requester's new ticket through the API is held by its form as the Help Center's form holds it.

Issue 20: "required when the customer sends" was the web's only. The form named in ``form`` (else the
first form offered) decides which fields are asked and required, its conditions honoured: a field
they hide is neither required nor kept. An agent opening a ticket on a customer's behalf is not held.
"""

from __future__ import annotations

import pytest

from comptoir.ticketforms.models import FieldKind, FieldValue, TicketField, TicketForm
from comptoir.ticketforms.services import form_fields_set
from comptoir.tickets.models import Ticket, TicketType
from tests.api.conftest import People, token_for
from tests.ticketforms.fixtures import product_and_browser

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture
def bug_form(db) -> TicketForm:
    """ "Bug report" (incidents): the product, required; the browser, required when the product is the web app."""
    product, browser = product_and_browser()
    steps = TicketField.objects.create(key="steps", kind=FieldKind.LONG_TEXT, label_en="Steps")
    form = TicketForm.objects.create(
        slug="bug", title_en="Bug report", ticket_type=TicketType.INCIDENT, position=0, active=True
    )
    form_fields_set(form=form, fields=[product, browser, steps])
    return form


@pytest.fixture
def billing_form(db) -> TicketForm:
    """ "Billing question", offered second: the order number, required."""
    order = TicketField.objects.create(
        key="order", kind=FieldKind.PATTERN, label_en="Order number", pattern=r"CMD-\d{6}", required=True
    )
    form = TicketForm.objects.create(slug="billing", title_en="Billing question", position=1, active=True)
    form_fields_set(form=form, fields=[order])
    return form


def _open(api, token: str, **body):
    return api("post", TICKETS, token, {"subject": "It broke", "body": "Since this morning.", **body})


def _errors(response) -> dict[str, str]:
    return {error["pointer"]: error["detail"] for error in response.json()["errors"]}


def _values(response) -> dict[str, object]:
    ticket = Ticket.objects.get(pk=Ticket.pk_from_reference(response.json()["reference"]))
    return dict(FieldValue.objects.filter(ticket=ticket).values_list("field__key", "value"))


def test_a_required_field_left_out_is_refused_with_its_key_named(api, people: People, bug_form):
    tickets = Ticket.objects.count()

    refused = _open(api, token_for(people.requester_a), form="bug", fields={"steps": "Click, boom."})

    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
    assert _errors(refused) == {"#/fields/product": "This field is required."}
    assert Ticket.objects.count() == tickets
    # null is no value either, and no "fields" at all is every required field left out.
    assert _errors(_open(api, token_for(people.requester_a), form="bug", fields={"product": None})) == {
        "#/fields/product": "This field is required."
    }
    assert set(_errors(_open(api, token_for(people.requester_a), form="bug"))) == {"#/fields/product"}


def test_the_required_fields_given_the_ticket_is_opened_with_them_and_the_form_s_type(api, people: People, bug_form):
    sent = _open(api, token_for(people.requester_a), form="bug", fields={"product": "web", "browser": "Firefox 133"})

    assert sent.status_code == 201, sent.content
    assert sent.json()["type"] == TicketType.INCIDENT
    assert _values(sent) == {"product": "web", "browser": "Firefox 133"}


def test_a_field_its_condition_hides_is_neither_required_nor_kept(api, people: People, bug_form):
    token = token_for(people.requester_a)
    # The browser is asked for the web app only: the mobile app's ticket goes without it.
    mobile = _open(api, token, form="bug", fields={"product": "mobile"})
    assert mobile.status_code == 201, mobile.content
    assert _values(mobile) == {"product": "mobile"}
    # Shown, it is required.
    web = _open(api, token, form="bug", fields={"product": "web"})
    assert _errors(web) == {"#/fields/browser": "This field is required."}
    # Hidden, a value sent for it is not kept: refused, saying when the field takes one.
    hidden = _open(api, token, form="bug", fields={"product": "mobile", "browser": "Safari"})
    assert _errors(hidden) == {"#/fields/browser": "This field takes a value only when “Product” is “web”."}


def test_without_a_form_named_the_first_form_offered_decides(api, people: People, bug_form, billing_form):
    token = token_for(people.requester_a)

    refused = _open(api, token)
    # Billing's field is not on the first form ("Bug report"): named there, refused, the form named.
    elsewhere = _open(api, token, fields={"product": "mobile", "order": "CMD-123456"})
    # The second form named: its own requirements, not the first's.
    billing = _open(api, token, form="billing", fields={"order": "CMD-123456"})

    assert _errors(refused) == {"#/fields/product": "This field is required."}
    assert _errors(elsewhere) == {"#/fields/order": "The form “Bug report” does not ask this field."}
    assert billing.status_code == 201, billing.content
    assert billing.json()["type"] == TicketType.QUESTION
    assert _values(billing) == {"order": "CMD-123456"}
    # A form no longer offered is no default either.
    TicketForm.objects.filter(pk=bug_form.pk).update(active=False)
    assert _errors(_open(api, token)) == {"#/fields/order": "This field is required."}


def test_a_form_not_offered_is_refused_by_name(api, people: People, bug_form):
    TicketForm.objects.create(slug="old", title_en="Old form", active=False)
    token = token_for(people.requester_a)

    for slug in ("nope", "old"):
        refused = _open(api, token, form=slug, fields={"product": "mobile"})
        assert refused.status_code == 400
        assert _errors(refused) == {"#/form": f"No form is offered under the name “{slug}”."}


def test_a_type_sent_is_kept_over_the_form_s(api, people: People, bug_form):
    sent = _open(api, token_for(people.requester_a), form="bug", type="question", fields={"product": "mobile"})
    assert sent.status_code == 201, sent.content
    assert sent.json()["type"] == TicketType.QUESTION


def test_an_agent_opening_for_a_customer_is_not_held_by_the_customer_s_form(api, people: People, bug_form):
    agent = token_for(people.agent)

    plain = _open(api, agent, requester_email="carla@example.org")
    on_form = _open(api, agent, requester_email="carla@example.org", form="bug", fields={"steps": "Boom."})

    assert plain.status_code == 201, plain.content
    assert on_form.status_code == 201, on_form.content
    assert _values(on_form) == {"steps": "Boom."}
    # The named form still gives its type; the default form is the customer's only.
    assert (plain.json()["type"], on_form.json()["type"]) == (TicketType.QUESTION, TicketType.INCIDENT)


def test_with_no_form_offered_a_requester_s_fields_are_checked_one_by_one_as_before(api, people: People):
    TicketField.objects.create(key="order", kind=FieldKind.TEXT, label_en="Order number", required=True)

    sent = _open(api, token_for(people.requester_a))

    # Required on a form, but no form is offered: the usual form, which asks no field.
    assert sent.status_code == 201, sent.content
