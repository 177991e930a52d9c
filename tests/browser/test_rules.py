"""Business rules in a real browser, in French and English: an administrator writes, tries and saves a trigger,
a new ticket about an invoice lands in Billing through the real backbone and worker, and its history says why.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.rules.models import Rule
from comptoir.tickets.models import SupportGroup, Ticket
from comptoir.tickets.services import ticket_create
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in

pytestmark = pytest.mark.browser

TRY = {"fr": "L\N{RIGHT SINGLE QUOTATION MARK}essayer sur les tickets récents", "en": "Try it on recent tickets"}
SAVE = {"fr": "Enregistrer la règle", "en": "Save the rule"}
BY_RULE = {"fr": "Par la règle « Factures vers Billing »", "en": "By rule “Factures vers Billing”"}


def landed_in(ticket: Ticket, group: SupportGroup, seconds: float = 20) -> bool:
    """The worker hands the new ticket's change to the rules after the commit: wait for it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if Ticket.objects.filter(pk=ticket.pk, group=group).exists():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_administrator_routes_invoices_to_billing_and_the_history_says_which_rule(site, new_page, language):
    User.objects.create_user("ada@example.com", password="pw-ada", name="Ada", role=Role.ADMIN)
    billing = SupportGroup.objects.create(name="Billing")
    past = ticket_create(
        email="bob@example.org",
        name="Bob",
        subject="Ma facture de mars est fausse",
        description="Le montant est faux.",
        language="fr",
    )
    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "ada@example.com", "pw-ada", language)
    page.goto(f"{site.url}/{language}/agent/settings/rules/")
    assert_accessible(page)

    page.goto(f"{site.url}/{language}/agent/settings/rules/new/")
    assert_accessible(page)
    page.locator("#id_name").fill("Factures vers Billing")
    page.locator("#id_conditions-0-field").select_option("subject")
    page.locator("#id_conditions-0-value").fill("facture")
    page.locator("#id_actions-0-action").select_option("set_group")
    page.locator("#id_actions-0-value").fill("Billing")
    page.locator("#id_actions-1-action").select_option("add_tags")
    page.locator("#id_actions-1-value").fill("billing")

    page.get_by_role("button", name=TRY[language]).click()
    dry_run = page.locator("#dry-run")
    expect(dry_run).to_be_visible()
    expect(dry_run.get_by_role("link", name=f"#{past.reference} Ma facture de mars est fausse")).to_be_visible()
    assert_accessible(page)
    assert not Rule.objects.exists()
    assert Ticket.objects.get(pk=past.pk).group is None  # tried, not applied

    page.get_by_role("button", name=SAVE[language]).click()
    expect(page.locator(".flash")).to_be_visible()
    expect(page.get_by_role("link", name="Factures vers Billing")).to_be_visible()
    assert_accessible(page)
    assert Rule.objects.get().actions == [
        {"action": "set_group", "value": billing.pk},
        {"action": "add_tags", "value": "billing"},
    ]

    fresh = ticket_create(
        email="carla@example.org",
        name="Carla",
        subject="Question sur une facture",
        description="Pouvez-vous me renvoyer la facture ?",
        language="fr",
    )
    assert landed_in(fresh, billing)
    assert set(fresh.tags.values_list("name", flat=True)) == {"billing"}

    page.goto(f"{site.url}/{language}/agent/tickets/{fresh.reference}/")
    history = page.locator("ol.history")
    expect(history.get_by_role("link", name=BY_RULE[language]).first).to_be_visible()
    assert_accessible(page)
