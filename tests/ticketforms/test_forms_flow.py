"""Forms end to end: picking a form, conditional fields, values kept, agents' edits in the history, who sees what."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.accounts.services import email_address_record
from comptoir.ticketforms.models import FieldKind, FieldValue, FormField, TicketField, TicketForm
from comptoir.ticketforms.services import form_fields_set
from comptoir.tickets.models import EventKind, Ticket, TicketEvent
from tests.conftest import solved_captcha
from tests.ticketforms.fixtures import product_and_browser

pytestmark = pytest.mark.django_db


def new_url(query: str = "") -> str:
    with translation.override("en"):
        return reverse("ticket_new") + query


@pytest.fixture
def bug_form() -> TicketForm:
    product, browser = product_and_browser()
    order = TicketField.objects.create(
        key="order_number", kind=FieldKind.PATTERN, label_en="Order number", pattern=r"CMD-\d{6}"
    )
    TicketField.objects.create(
        key="internal_score", kind=FieldKind.NUMBER, label_en="Internal score", visible_to_customers=False
    )
    form = TicketForm.objects.create(
        slug="bug", title_en="Bug report", title_fr="Signaler un bogue", ticket_type="incident"
    )
    form_fields_set(form=form, fields=[product, browser, order])
    return form


def sent(**overrides) -> dict:
    data = {
        "email": "alice@example.org",
        "name": "Alice",
        "subject": "It crashes",
        "description": "It crashes when I export.",
        "altcha": solved_captcha(),
        "website": "",
        "ticket_type": "incident",
    }
    data.update(overrides)
    return data


def test_without_any_form_the_usual_form_is_unchanged(client):
    html = client.get(new_url()).content.decode()
    assert 'name="ticket_type"' in html and "field_" not in html


def test_with_forms_the_customer_picks_one_first(client, bug_form):
    html = client.get(new_url()).content.decode()
    assert "Bug report" in html and "?form=bug" in html and 'name="subject"' not in html


def test_a_link_opens_one_form_with_its_fields_and_its_type(client, bug_form):
    html = client.get(new_url("?form=bug")).content.decode()
    assert 'name="field_product"' in html and 'name="field_order_number"' in html
    assert 'data-shown-when="field_product" data-shown-value="web"' in html
    # The form sets the type: no radio buttons, a hidden value.
    assert '<input type="hidden" name="ticket_type" value="incident">' in html
    # A field for agents only is never on the customer's form.
    assert "internal_score" not in html


def test_a_hidden_conditional_field_is_neither_required_nor_kept(client, bug_form):
    response = client.post(new_url("?form=bug"), sent(field_product="mobile", field_browser="Firefox"))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    values = {value.field.key: value.value for value in FieldValue.objects.filter(ticket=ticket)}
    assert values == {"product": "mobile"}
    assert ticket.type == "incident"


def test_a_shown_conditional_field_is_required(client, bug_form):
    response = client.post(new_url("?form=bug"), sent(field_product="web", field_browser=""))
    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    assert "This field is required." in response.content.decode()
    client.post(new_url("?form=bug"), sent(field_product="web", field_browser="Firefox 120"))
    ticket = Ticket.objects.get()
    assert {v.field.key: v.value for v in ticket.field_values.select_related("field")} == {
        "product": "web",
        "browser": "Firefox 120",
    }


def test_a_mistyped_pattern_is_refused_and_what_was_typed_stays(client, bug_form):
    response = client.post(new_url("?form=bug"), sent(field_product="mobile", field_order_number="CMD-12"))
    html = response.content.decode()
    assert Ticket.objects.count() == 0
    assert "“CMD-12” does not have the expected form." in html
    assert 'value="CMD-12"' in html and 'value="It crashes"' in html


def test_a_form_change_never_loses_a_tickets_values(client, bug_form):
    client.post(new_url("?form=bug"), sent(field_product="web", field_browser="Edge", field_order_number="CMD-123456"))
    ticket = Ticket.objects.get()
    form_fields_set(form=bug_form, fields=[])
    bug_form.delete()
    TicketField.objects.filter(key="browser").update(archived=True)
    assert FieldValue.objects.filter(ticket=ticket).count() == 3
    assert sorted(FieldValue.objects.filter(ticket=ticket).values_list("value", flat=True), key=str) == [
        "CMD-123456",
        "Edge",
        "web",
    ]


def test_an_agents_edit_is_saved_and_recorded_in_the_history(client, agent, make_ticket, bug_form):
    ticket = make_ticket()
    client.force_login(agent)
    with translation.override("en"):
        url = reverse("agent_ticket_fields", args=[ticket.reference])
        page = reverse("agent_ticket", args=[ticket.reference])
    html = client.get(page).content.decode()
    assert 'name="fields-field_internal_score"' in html
    response = client.post(url, {"fields-field_internal_score": "7", "fields-field_order_number": "CMD-000042"})
    assert response.status_code == 302
    assert {v.field.key: v.value for v in ticket.field_values.select_related("field")} == {
        "internal_score": 7,
        "order_number": "CMD-000042",
    }
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.FIELD).order_by("id")
    assert [(e.old_value, e.new_value, e.actor_id) for e in events] == [
        ("internal_score", "Internal score: — → 7", agent.pk),
        ("order_number", "Order number: — → CMD-000042", agent.pk),
    ]
    # Saving the same values again changes nothing and records nothing.
    client.post(url, {"fields-field_internal_score": "7", "fields-field_order_number": "CMD-000042"})
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.FIELD).count() == 2
    html = client.get(page).content.decode()
    assert "Field changed: Internal score: — → 7" in html
    # The form shows the values now held (read with the fields, in one query).
    assert 'value="CMD-000042"' in html and 'name="fields-field_internal_score" value="7"' in html


def test_an_agents_mistyped_value_is_refused(client, agent, make_ticket, bug_form):
    ticket = make_ticket()
    client.force_login(agent)
    url = reverse("agent_ticket_fields", args=[ticket.reference])
    client.post(url, {"fields-field_order_number": "nope"})
    assert not FieldValue.objects.filter(ticket=ticket).exists()


def test_the_requester_sees_customer_fields_but_never_agents_only_ones(client, make_ticket, bug_form):
    ticket = make_ticket()
    FieldValue.objects.create(ticket=ticket, field=TicketField.objects.get(key="order_number"), value="CMD-999999")
    FieldValue.objects.create(ticket=ticket, field=TicketField.objects.get(key="internal_score"), value=3141592)
    email_address_record(user=ticket.requester, verified=True)
    client.force_login(ticket.requester)
    with translation.override("en"):
        html = client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    assert "Details of your request" in html and "CMD-999999" in html
    assert "Internal score" not in html and "3141592" not in html


def test_a_requester_cannot_post_an_agents_edit(client, make_ticket, bug_form):
    ticket = make_ticket()
    customer = User.objects.create_user("bob@example.org", password="x", name="Bob")
    client.force_login(customer)
    response = client.post(
        reverse("agent_ticket_fields", args=[ticket.reference]), {"fields-field_internal_score": "1"}
    )
    assert response.status_code == 403
    assert not FieldValue.objects.exists()


def test_settings_pages_are_for_administrators_only(client, agent):
    client.force_login(agent)
    assert client.get(reverse("agent_ticketform_settings")).status_code == 403
    admin = User.objects.create_user("admin@example.com", password="x", name="Ada", role=Role.ADMIN)
    client.force_login(admin)
    assert client.get(reverse("agent_ticketform_settings")).status_code == 200


def test_an_administrator_defines_a_field_and_a_form(client):
    admin = User.objects.create_user("admin@example.com", password="x", name="Ada", role=Role.ADMIN)
    client.force_login(admin)
    response = client.post(
        reverse("agent_field_new"),
        {
            "key": "order",
            "kind": "pattern",
            "label_en": "Order",
            "pattern": r"(a+)+",
            "visible_to_customers": "on",
            "editable_by_customers": "on",
        },
    )
    assert response.status_code == 400 and not TicketField.objects.exists()
    client.post(
        reverse("agent_field_new"),
        {
            "key": "order",
            "kind": "pattern",
            "label_en": "Order",
            "pattern": r"CMD-\d{6}",
            "visible_to_customers": "on",
            "editable_by_customers": "on",
        },
    )
    order = TicketField.objects.get()
    client.post(
        reverse("agent_field_new"),
        {
            "key": "os",
            "kind": "dropdown",
            "label_fr": "Système",
            "choices_text": "linux | Linux | Linux\nmac | macOS",
            "visible_to_customers": "on",
            "editable_by_customers": "on",
        },
    )
    os_field = TicketField.objects.get(key="os")
    assert os_field.choices == [["linux", "Linux", "Linux"], ["mac", "macOS", "mac"]]
    response = client.post(
        reverse("agent_form_new"),
        {
            "slug": "billing",
            "title_en": "Billing",
            "position": "0",
            "active": "on",
            f"order_{order.pk}": "2",
            f"order_{os_field.pk}": "1",
        },
    )
    assert response.status_code == 302
    form = TicketForm.objects.get()
    assert list(FormField.objects.filter(form=form).values_list("field__key", flat=True)) == ["os", "order"]
