"""The service level settings in a real browser, in French and English: an administrator's round, axe-clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.sla.models import BusinessSchedule, SlaPolicy, TeamHours
from comptoir.tickets.models import SupportGroup
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in

pytestmark = pytest.mark.browser

SAVE_HOURS = {"fr": "Enregistrer les horaires", "en": "Save the business hours"}
SAVE_POLICY = {"fr": "Enregistrer la politique", "en": "Save the policy"}
SERVICE_LEVELS = {"fr": "Niveaux de service", "en": "Service levels"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_administrator_sets_business_hours_and_a_policy(site, new_page, language):
    User.objects.create_user("ada@example.com", password="pw-ada", name="Ada", role=Role.ADMIN)
    page = new_page("fr-FR" if language == "fr" else "en-GB")
    SupportGroup.objects.create(name="Support")
    log_in(page, site.url, "ada@example.com", "pw-ada", language)
    # From the settings page, which gathers the administrator's pages.
    page.goto(f"{site.url}/{language}/agent/settings/")
    assert_accessible(page)
    page.get_by_role("link", name=SERVICE_LEVELS[language], exact=True).click()
    page.wait_for_url("**/agent/settings/service-levels/")
    assert_accessible(page)

    page.goto(f"{site.url}/{language}/agent/settings/service-levels/schedules/new/")
    assert_accessible(page)
    page.locator("#id_name").fill("Office")
    page.locator("#id_day0-0-end").fill("09:00")  # Monday 09:00 to 09:00: refused
    page.get_by_role("button", name=SAVE_HOURS[language]).click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.locator("#id_day0-0-end").fill("12:00")
    page.locator("#id_closed-0-day").fill("2026-12-24")
    page.locator("#id_closed-0-name").fill("Christmas Eve")
    page.get_by_role("checkbox", name="Support").check()  # the team works these hours
    page.get_by_role("button", name=SAVE_HOURS[language]).click()
    expect(page.locator(".flash")).to_be_visible()
    assert BusinessSchedule.objects.get().closed_days.count() == 1
    assert list(TeamHours.objects.values_list("group__name", "schedule__name")) == [("Support", "Office")]

    page.goto(f"{site.url}/{language}/agent/settings/service-levels/policies/new/")
    assert_accessible(page)
    page.locator("#id_name").fill("Standard")
    page.locator("#id_schedule").select_option(label="Office")
    page.locator("#id_first_reply-high-amount").fill("0")
    page.get_by_role("button", name=SAVE_POLICY[language]).click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.locator("#id_first_reply-high-amount").fill("2")
    page.locator("#id_resolution-high-amount").fill("8")
    page.get_by_role("button", name=SAVE_POLICY[language]).click()
    expect(page.locator(".flash")).to_be_visible()
    assert SlaPolicy.objects.get().targets.count() == 2
    assert_accessible(page)
