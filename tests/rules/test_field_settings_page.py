"""The rule page offers the ticket fields to compare and to set, in the reader's language; "why" and "try" say them."""

from __future__ import annotations

import pytest
from django.db import transaction

from comptoir.accounts.models import Role, User
from comptoir.rules.models import Rule
from comptoir.ticketforms.models import FieldValue
from comptoir.ticketforms.services import ticket_values_record
from tests.workspace.test_bulk_views import url
from tests.workspace.test_rules_settings import rule_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_the_default_rules(db) -> None:
    Rule.objects.exclude(built_in="").delete()


@pytest.fixture
def as_admin(client, db):
    client.force_login(User.objects.create_user("ada@example.com", name="Ada", role=Role.ADMIN))
    return client


def test_the_pickers_offer_the_fields_by_their_label_in_the_reader_s_language(as_admin, plan, seats):
    english = as_admin.get(url("agent_rule_new")).content.decode()
    french = as_admin.get(url("agent_rule_new").replace("/en/", "/fr/", 1)).content.decode()

    assert '<option value="field:plan">Plan</option>' in english
    assert '<option value="set_field:seats">Seats</option>' in english
    assert '<option value="field:plan">Formule</option>' in french
    assert '<option value="set_field:seats">Postes</option>' in french


def test_a_rule_on_fields_is_saved_with_the_values_as_the_fields_keep_them(as_admin, plan, seats):
    data = rule_data(
        conditions=[("field:plan", "is", "Professional"), ("field:seats", "greater_than", "50")],
        actions=[("set_field:plan", "free"), ("add_tags", "big")],
    )

    response = as_admin.post(url("agent_rule_new"), data)

    assert response.status_code == 302, response.content.decode()
    rule = Rule.objects.get()
    assert rule.conditions == [
        {"field": "field:plan", "operator": "is", "value": "pro"},
        {"field": "field:seats", "operator": "greater_than", "value": 50},
    ]
    assert rule.actions[0] == {"action": "set_field", "value": {"field": "plan", "value": "free"}}
    # The page shows it in words, and offers the saved values back.
    listed = as_admin.get(url("agent_rules_settings")).content.decode()
    assert "“Plan” is Professional" in listed and "“Seats” is greater than 50" in listed
    assert "set the field “Plan” to Free" in listed
    page = as_admin.get(url("agent_rule", rule.pk)).content.decode()
    assert '<option value="set_field:plan" selected>Plan</option>' in page
    assert '<option value="pro" selected>Professional</option>' in page


@pytest.mark.parametrize(
    ("condition", "error"),
    [
        (("field:seats", "contains", "5"), "does not apply to the field “Seats”"),
        (("field:seats", "greater_than", "many"), "the field “Seats” does not accept “many”"),
        (("field:plan", "is", "gold"), "“gold” is not a choice of the field “Plan”"),
    ],
)
def test_a_condition_a_field_would_refuse_is_a_form_error_naming_it(as_admin, plan, seats, condition, error):
    response = as_admin.post(url("agent_rule_new"), rule_data(conditions=[condition]))

    assert response.status_code == 400
    assert error in response.content.decode() and not Rule.objects.exists()


def test_try_and_why_say_the_field_condition(as_admin, plan, make_ticket):
    Rule.objects.create(
        name="Pro",
        events=["status_changed"],
        conditions=[{"field": "field:plan", "operator": "is", "value": "pro"}],
        actions=[{"action": "add_tags", "value": "pro"}],
    )
    rule = Rule.objects.get()
    with transaction.atomic():
        pro = make_ticket()
        ticket_values_record(ticket=pro, values={plan: "pro"})
    free = make_ticket()
    FieldValue.objects.create(ticket=free, field=plan, value="free", text="free")

    data = rule_data(
        events=["status_changed"], conditions=[("field:plan", "is", "pro")], actions=[("add_tags", "pro")]
    ) | {"try": "1"}
    tried = as_admin.post(url("agent_rule", rule.pk), data).content.decode()
    assert f"#{pro.reference}" in tried and f"#{free.reference}" not in tried

    why = as_admin.get(url("agent_rule", rule.pk) + f"?ticket={free.reference}").content.decode()
    assert "the first condition that fails is <strong>“Plan” is Professional</strong>" in why
