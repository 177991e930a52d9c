"""Ticket fields on the rule page and the service level policy page, in a real browser, FR and EN, axe-clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.rules.models import Rule
from comptoir.sla.models import SlaPolicy
from comptoir.ticketforms.models import FieldKind, TicketField
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in

pytestmark = pytest.mark.browser

SAVE_RULE = {"fr": "Enregistrer la règle", "en": "Save the rule"}
SAVE_POLICY = {"fr": "Enregistrer la politique", "en": "Save the policy"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_administrator_uses_a_ticket_field_in_a_rule_and_a_policy(site, new_page, language):
    Rule.objects.exclude(built_in="").delete()
    User.objects.create_user("ada@example.com", password="pw-ada", name="Ada", role=Role.ADMIN)
    TicketField.objects.create(
        key="plan",
        kind=FieldKind.DROPDOWN,
        label_fr="Formule",
        label_en="Plan",
        choices=[["pro", "Professionnelle", "Professional"], ["free", "Gratuite", "Free"]],
    )
    TicketField.objects.create(key="seats", kind=FieldKind.NUMBER, label_fr="Postes", label_en="Seats")
    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "ada@example.com", "pw-ada", language)
    plan, seats = ("Formule", "Postes") if language == "fr" else ("Plan", "Seats")

    page.goto(f"{site.url}/{language}/agent/settings/rules/new/")
    page.locator("#id_name").fill("Pro")
    page.locator("#id_conditions-0-field").select_option(label=seats)
    page.locator("#id_conditions-0-operator").select_option(value="greater_than")
    page.locator("#id_conditions-0-value").fill("many")
    page.locator("#id_actions-0-action").select_option(label=plan)
    page.locator("#id_actions-0-value").fill("free")
    page.get_by_role("button", name=SAVE_RULE[language]).click()
    expect(page.locator(".error-summary")).to_contain_text(seats)
    assert_accessible(page)
    page.locator("#id_conditions-0-value").fill("50")
    page.get_by_role("button", name=SAVE_RULE[language]).click()
    expect(page.locator(".flash")).to_be_visible()
    rule = Rule.objects.get()
    assert rule.conditions == [{"field": "field:seats", "operator": "greater_than", "value": 50}]
    page.goto(f"{site.url}/{language}/agent/settings/rules/{rule.pk}/")
    assert_accessible(page)

    page.goto(f"{site.url}/{language}/agent/settings/service-levels/policies/new/")
    page.locator("#id_name").fill("Pro")
    page.locator("#id_first_reply-high-amount").fill("2")
    page.locator("#id_first_reply-high-clock").select_option(value="calendar")
    page.locator("#id_fieldcond-0-field").select_option(label=plan)
    page.locator("#id_fieldcond-0-operator").select_option(value="is")
    page.locator("#id_fieldcond-0-value").fill("gold")
    page.get_by_role("button", name=SAVE_POLICY[language]).click()
    expect(page.locator(".error-summary")).to_contain_text(plan)
    assert_accessible(page)
    page.locator("#id_fieldcond-0-value").fill("pro")
    page.get_by_role("button", name=SAVE_POLICY[language]).click()
    expect(page.locator(".flash")).to_be_visible()
    assert SlaPolicy.objects.get().field_conditions == [{"field": "field:plan", "operator": "is", "value": "pro"}]
