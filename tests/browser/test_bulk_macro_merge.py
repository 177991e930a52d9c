"""The list's canned reply and "Merge into…" in a real browser: options fetched when reached for, Enter merges."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Macro, Status, Ticket
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in

pytestmark = pytest.mark.browser

CANNED = {"fr": "Réponse type", "en": "Canned reply"}
APPLY = {
    "fr": "Appliquer la réponse type aux tickets sélectionnés",
    "en": "Apply the canned reply to the selected tickets",
}
UPDATED = {"fr": "2 tickets mis à jour.", "en": "2 tickets updated."}
INTO = {"fr": "Fusionner dans le ticket numéro", "en": "Merge into ticket number"}
MERGE_THESE = {"fr": "Fusionner ces 2 tickets dans le #{}", "en": "Merge these 2 tickets into #{}"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_answers_two_tickets_with_a_canned_reply_then_merges_them(site, new_page, make_ticket, language):
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    Macro.objects.create(
        title="Outage known",
        body="Known outage.",
        body_fr="Bonjour {requester_name}, la panne est connue.",
        body_en="Hello {requester_name}, the outage is known.",
        status=Status.PENDING,
    )
    kept = make_ticket(email="kept@example.org", subject="Site down", language=language)
    first = make_ticket(email="ann@example.org", name="Ann", subject="Site down again", language=language)
    second = make_ticket(email="ben@example.org", name="Ben", subject="Cannot log in", language=language)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/?view=all")
    for ticket in (first, second):
        page.locator(f"[data-bulk-row][value='{ticket.reference}']").check()
    select = page.get_by_label(CANNED[language])
    expect(select.locator("option")).to_have_count(1)  # not on the page: fetched when reached for
    select.focus()
    expect(select.locator("option")).to_have_count(2)
    select.select_option(label="Outage known")
    assert_accessible(page)
    page.get_by_role("button", name=APPLY[language]).click()
    expect(page.locator(".flash-success")).to_have_text(UPDATED[language])

    greeting = {"fr": "Bonjour {}, la panne est connue.", "en": "Hello {}, the outage is known."}[language]
    for ticket, name in ((first, "Ann"), (second, "Ben")):
        ticket.refresh_from_db()
        assert ticket.status == Status.PENDING
        assert ticket.messages.order_by("id").last().body == greeting.format(name)

    for ticket in (first, second):
        page.locator(f"[data-bulk-row][value='{ticket.reference}']").check()
    page.get_by_label(INTO[language]).fill(str(kept.reference))
    page.get_by_label(INTO[language]).press("Enter")  # the merge, not the panel's first button
    button = page.get_by_role("button", name=MERGE_THESE[language].format(kept.reference))
    expect(button).to_be_visible()
    expect(page.locator("[role=alert]")).to_contain_text("ann@example.org")
    assert_accessible(page)
    button.click()
    expect(page).to_have_url(f"{site.url}/{language}/agent/tickets/{kept.reference}/")
    assert set(Ticket.objects.filter(merged_into=kept).values_list("pk", flat=True)) == {first.pk, second.pk}
