"""The agent's "Fields" card follows conditions as the customer's form does; a checkbox's condition is a choice."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.ticketforms.admin_forms import TicketFieldForm
from comptoir.ticketforms.forms import controllers_first
from comptoir.ticketforms.models import FieldKind, FieldValue, TicketField
from comptoir.ticketforms.validation import CHECKED, UNCHECKED

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields() -> dict[str, TicketField]:
    # "browser" sorts before "product", the field that shows it: the card must settle "product" first.
    product = TicketField.objects.create(
        key="product",
        kind=FieldKind.DROPDOWN,
        label_en="Product",
        choices=[["web", "Web", "Web"], ["app", "App", "App"]],
    )
    browser = TicketField.objects.create(
        key="browser", kind=FieldKind.TEXT, label_en="Browser", shown_when_field=product, shown_when_value="web"
    )
    return {"product": product, "browser": browser}


def card(client, ticket) -> str:
    with translation.override("en"):
        html = client.get(reverse("agent_ticket", args=[ticket.reference])).content.decode()
    return html.split('aria-labelledby="fields-title"')[1].split("</section>")[0]


def row_tag(html: str, key: str) -> str:
    return html.split(f'data-field-row="fields-field_{key}"')[1].split(">")[0]


def test_the_card_lists_a_field_after_the_one_that_shows_it(fields):
    ordered = controllers_first(sorted(fields.values(), key=lambda field: field.key))
    assert [field.key for field in ordered] == ["product", "browser"]


def test_a_cycle_of_conditions_leaves_the_fields_in_their_order(fields):
    fields["product"].shown_when_field = fields["browser"]
    fields["product"].shown_when_value = "x"
    fields["product"].save()
    ordered = controllers_first(sorted(TicketField.objects.all(), key=lambda field: field.key))
    assert sorted(field.key for field in ordered) == ["browser", "product"] and len(ordered) == 2


def test_a_field_whose_condition_the_ticket_does_not_meet_is_hidden_on_the_card(client, agent, make_ticket, fields):
    ticket = make_ticket()
    client.force_login(agent)
    html = card(client, ticket)
    assert " hidden" in row_tag(html, "browser") and " hidden" not in row_tag(html, "product")
    assert html.index("fields-field_product") < html.index("fields-field_browser")
    assert 'data-shown-when="fields-field_product" data-shown-value="web"' in html
    assert "ticketforms/conditional-fields.js" in html

    FieldValue.objects.create(ticket=ticket, field=fields["product"], value="web", text="web")
    assert " hidden" not in row_tag(card(client, ticket), "browser")


def test_saving_the_card_clears_the_value_of_a_field_now_hidden(client, agent, make_ticket, fields):
    ticket = make_ticket()
    FieldValue.objects.create(ticket=ticket, field=fields["product"], value="web", text="web")
    FieldValue.objects.create(ticket=ticket, field=fields["browser"], value="Firefox", text="firefox")
    client.force_login(agent)
    url = reverse("agent_ticket_fields", args=[ticket.reference])
    client.post(url, {"fields-field_product": "app", "fields-field_browser": "Firefox"})
    values = dict(FieldValue.objects.filter(ticket=ticket).values_list("field__key", "value"))
    assert values == {"product": "app"}


def test_saving_the_card_keeps_a_field_shown(client, agent, make_ticket, fields):
    ticket = make_ticket()
    client.force_login(agent)
    url = reverse("agent_ticket_fields", args=[ticket.reference])
    client.post(url, {"fields-field_product": "web", "fields-field_browser": "Firefox 133"})
    values = dict(FieldValue.objects.filter(ticket=ticket).values_list("field__key", "value"))
    assert values == {"product": "web", "browser": "Firefox 133"}


# --- a condition on a checkbox -----------------------------------------------------------------------------


@pytest.fixture
def newsletter() -> TicketField:
    return TicketField.objects.create(key="newsletter", kind=FieldKind.CHECKBOX, label_en="Newsletter")


def field_data(controller: TicketField, **overrides: str) -> dict[str, object]:
    data: dict[str, object] = {
        "key": "frequency",
        "kind": FieldKind.TEXT,
        "label_en": "How often",
        "visible_to_customers": "on",
        "editable_by_customers": "on",
        "shown_when_field": controller.pk,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("chosen", [CHECKED, UNCHECKED])
def test_a_checkbox_condition_is_a_choice_stored_in_no_language(newsletter, chosen):
    with translation.override("fr"):
        form = TicketFieldForm(field_data(newsletter, shown_when_checked=chosen))
        assert form.is_valid(), form.errors
        assert form.save().shown_when_value == chosen


@pytest.mark.parametrize(
    ("typed", "stored"), [("yes", CHECKED), (" No ", UNCHECKED), ("oui", CHECKED), ("non", UNCHECKED)]
)
def test_a_value_typed_before_the_choice_still_counts(newsletter, typed, stored):
    form = TicketFieldForm(field_data(newsletter, shown_when_value=typed))
    assert form.is_valid(), form.errors
    assert form.save().shown_when_value == stored


def test_a_checkbox_condition_without_a_choice_is_refused(newsletter):
    form = TicketFieldForm(field_data(newsletter, shown_when_value="perhaps"))
    assert not form.is_valid() and "shown_when_checked" in form.errors


def test_an_existing_checkbox_condition_opens_as_its_choice(newsletter):
    field = TicketField.objects.create(
        key="frequency", kind=FieldKind.TEXT, label_en="How often", shown_when_field=newsletter, shown_when_value="yes"
    )
    form = TicketFieldForm(instance=field)
    assert form.initial["shown_when_checked"] == CHECKED and form.initial["shown_when_value"] == ""


def test_a_condition_on_another_field_is_still_typed():
    product = TicketField.objects.create(
        key="product", kind=FieldKind.DROPDOWN, label_en="Product", choices=[["web", "Web", "Web"]]
    )
    form = TicketFieldForm(field_data(product, shown_when_value="web", shown_when_checked=CHECKED))
    assert form.is_valid(), form.errors
    assert form.save().shown_when_value == "web"


def test_the_settings_page_offers_the_choice(client, newsletter):
    admin = User.objects.create_user("admin@example.com", password="x", name="Ada", role=Role.ADMIN)
    client.force_login(admin)
    with translation.override("fr"):
        html = client.get(reverse("agent_field_new")).content.decode()
    assert 'name="shown_when_checked"' in html and f'data-checkboxes="{newsletter.pk}"' in html
