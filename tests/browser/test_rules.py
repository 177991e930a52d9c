"""Business rules in a real browser, in French and English: an administrator writes, tries and saves a trigger,
a new ticket about an invoice lands in Billing through the real backbone and worker, and its history says why;
then an automation, "pending for 3 days: remind the requester", with the rows the script shows and adds.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.rules.automations import automations_run
from comptoir.rules.models import Rule, TicketClock
from comptoir.tickets.models import Message, Status, SupportGroup, Ticket
from comptoir.tickets.services import ticket_create, ticket_update_by_agent
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in

pytestmark = pytest.mark.browser

TRY = {"fr": "L\N{RIGHT SINGLE QUOTATION MARK}essayer sur les tickets récents", "en": "Try it on recent tickets"}
SAVE = {"fr": "Enregistrer la règle", "en": "Save the rule"}
BY_RULE = {"fr": "Par la règle «\u202fFactures vers Billing\u202f»", "en": "By rule “Factures vers Billing”"}


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
    assert not Rule.objects.filter(built_in="").exists()  # nothing saved beside the default rules
    assert Ticket.objects.get(pk=past.pk).group is None  # tried, not applied

    page.get_by_role("button", name=SAVE[language]).click()
    expect(page.locator(".flash")).to_be_visible()
    expect(page.get_by_role("link", name="Factures vers Billing")).to_be_visible()
    assert_accessible(page)
    assert Rule.objects.get(built_in="").actions == [
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


ADD_ACTION = {"fr": "Ajouter une action", "en": "Add an action"}
TRY_NOW = {"fr": "L\N{RIGHT SINGLE QUOTATION MARK}essayer maintenant", "en": "Try it now"}
REMINDER = {
    "fr": "Bonjour {requester_name}, avez-vous pu avancer sur {ticket_reference} ?",
    "en": "Hello {requester_name}, any news on {ticket_reference}?",
}


def pending_for(ticket: Ticket, agent: User, days: float, seconds: float = 20) -> None:
    """Set the ticket pending, wait for the worker to start its clock, and set the clock ``days`` back."""
    ticket_update_by_agent(ticket, agent=agent, body="Pourriez-vous envoyer les journaux ?", status=Status.PENDING)
    deadline = time.monotonic() + seconds
    while not TicketClock.objects.filter(ticket=ticket, status=Status.PENDING).exists():
        assert time.monotonic() < deadline, "the worker did not start the ticket's clock"
        time.sleep(0.2)
    TicketClock.objects.filter(ticket=ticket).update(status_since=timezone.now() - timedelta(days=days))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_administrator_writes_an_automation_that_reminds_after_3_days_pending(site, new_page, language):
    admin = User.objects.create_user("ada@example.com", password="pw-ada", name="Ada", role=Role.ADMIN)
    forgotten = ticket_create(
        email="bob@example.org", name="Bob", subject="Export en échec", description="Il échoue.", language="fr"
    )
    pending_for(forgotten, admin, days=4)
    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "ada@example.com", "pw-ada", language)

    page.goto(f"{site.url}/{language}/agent/settings/rules/new-automation/")
    assert_accessible(page)
    page.locator("#id_name").fill("Relance après 3 jours")
    page.locator("#id_conditions-0-field").select_option("status")
    page.locator("#id_conditions-0-value").fill("pending")
    unit = page.locator("#id_conditions-1-unit")
    expect(unit).to_be_hidden()  # the unit of hours is for time conditions only
    page.locator("#id_conditions-1-field").select_option("hours_in_status")
    expect(unit).to_be_visible()
    page.locator("#id_conditions-1-operator").select_option("at_least")
    page.locator("#id_conditions-1-value").fill("3")
    unit.select_option("days")

    text_fr = page.locator("#id_actions-0-text_fr")
    expect(text_fr).to_be_hidden()
    page.locator("#id_actions-0-action").select_option("add_reply")
    expect(text_fr).to_be_visible()
    expect(page.locator("#id_actions-0-value")).to_be_hidden()
    expect(page.locator("#id_actions-0-subject_fr")).to_be_hidden()  # an e-mail's, not a reply's
    text_fr.fill(REMINDER["fr"])
    page.locator("#id_actions-0-text_en").fill(REMINDER["en"])
    page.get_by_role("button", name=ADD_ACTION[language]).click()
    page.locator("#id_actions-2-action").select_option("add_tags")  # a row the script added
    page.locator("#id_actions-2-value").fill("relance")
    assert_accessible(page)

    page.get_by_role("button", name=TRY_NOW[language]).click()
    dry_run = page.locator("#dry-run")
    expect(dry_run.get_by_role("link", name=f"#{forgotten.reference} Export en échec")).to_be_visible()
    assert_accessible(page)
    assert not Rule.objects.filter(built_in="").exists()  # nothing saved beside the default rules

    page.get_by_role("button", name=SAVE[language]).click()
    expect(page.locator(".flash")).to_be_visible()
    expect(
        page.locator("#automations-title").locator("..").get_by_role("link", name="Relance après 3 jours")
    ).to_be_visible()
    assert_accessible(page)
    rule = Rule.objects.get(built_in="")
    assert (rule.kind, rule.events, rule.match) == ("automation", [], "all")
    assert rule.conditions == [
        {"field": "status", "operator": "is", "value": "pending"},
        {"field": "hours_in_status", "operator": "at_least", "value": 72},
    ]
    assert rule.actions == [
        {"action": "add_reply", "value": REMINDER},
        {"action": "add_tags", "value": "relance"},
    ]

    assert automations_run() == 1
    reply = Message.objects.filter(ticket=forgotten, is_public=True).order_by("-id").first()
    assert reply.body == f"Bonjour Bob, avez-vous pu avancer sur #{forgotten.reference} ?"
