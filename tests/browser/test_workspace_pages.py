"""The agent's ticket list in a real browser, in French and English: keyset pages, capped counts, no axe violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Organisation, Role, User
from comptoir.tickets.models import Macro, Tag
from comptoir.tickets.services import ticket_update_by_agent
from comptoir.workspace import selectors
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in

pytestmark = pytest.mark.browser

NEXT = {"fr": "Suivant", "en": "Next"}
FIRST = {"fr": "Première page", "en": "First page"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_pages_through_a_long_view_and_back(site, new_page, make_ticket, monkeypatch, language):
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    for n in range(30):
        make_ticket(email=f"person{n}@example.org", subject=f"Problem {n}", language=language)
    # The cap, lowered: the "All tickets" count shows as a capped one.
    monkeypatch.setattr(selectors, "COUNT_CAP", 20)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/?view=all")
    rows = page.locator(".ticket-table tbody tr")
    expect(rows).to_have_count(25)
    expect(page.locator("#view-heading")).to_contain_text("20+")
    expect(rows.first).to_contain_text("Problem 29")
    assert_accessible(page)

    page.get_by_role("link", name=NEXT[language], exact=True).click()
    expect(rows).to_have_count(5)
    expect(rows.last).to_contain_text("Problem 0")
    expect(page.get_by_role("link", name=NEXT[language], exact=True)).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name=FIRST[language]).click()
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("Problem 29")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_canned_replies_and_organisation_names_arrive_when_the_agent_reaches_for_them(
    site, new_page, make_ticket, language
):
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    Macro.objects.create(title="Greeting", body="Hello {requester_name}, about {ticket_reference}.", add_tags="greeted")
    Tag.objects.create(name="refund")
    Tag.objects.create(name="remote")
    Organisation.objects.create(name="Acme")
    Organisation.objects.create(name="Acmeco")
    Organisation.objects.create(name="Bolt")
    ticket = make_ticket(email="alice@example.org", subject="Export fails", language=language)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/tickets/{ticket.reference}/")
    picker = page.locator("#macro-select")
    expect(picker.locator("option")).to_have_count(1)  # not on the page: fetched on first reach
    picker.hover()
    expect(picker.locator("option")).to_have_count(2)
    picker.select_option(label="Greeting")
    page.locator("[data-macro-apply]").click()
    expect(page.locator("textarea[name=body]")).to_have_value(f"Hello Alice Martin, about #{ticket.reference}.")
    tags = page.locator("#id_tags")
    expect(tags).to_have_value("greeted")
    # Existing tags are suggested as the agent types the next one.
    tags.fill("greeted re")
    options = page.locator("#tag-suggestions option")
    expect(options).to_have_count(2)
    assert options.evaluate_all("options => options.map(o => o.value)") == ["greeted refund", "greeted remote"]

    field = page.locator("#requester-organisation")
    field.fill("ac")
    suggestions = page.locator("#organisation-suggestions option")
    expect(suggestions).to_have_count(2)
    assert suggestions.evaluate_all("options => options.map(o => o.value)") == ["Acme", "Acmeco"]
    field.fill("Acmeco")
    with page.expect_navigation():
        field.press("Enter")
    expect(field).to_have_value("Acmeco")
    ticket.requester.refresh_from_db()
    assert ticket.requester.organisation is not None and ticket.requester.organisation.name == "Acmeco"
    assert_accessible(page)


SEARCH = {"fr": "Rechercher", "en": "Search"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_finds_a_ticket_by_a_word_only_an_internal_note_holds(site, new_page, make_ticket, language):
    camille = User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    wanted = make_ticket(email="claire@example.org", subject="Export fails", language=language)
    ticket_update_by_agent(wanted, agent=camille, body="Checked the Zorglub server logs.", is_public=False)
    for n in range(3):
        make_ticket(email=f"person{n}@example.org", subject=f"Problem {n}", language=language)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/")
    page.locator("#workspace-q").fill("zorglub status:unsolved")
    page.get_by_role("button", name=SEARCH[language], exact=True).click()
    rows = page.locator(".ticket-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"#{wanted.reference}")
    expect(rows.first.locator(".excerpt mark")).to_have_text("Zorglub")
    expect(page.locator("#workspace-q")).to_have_value("zorglub status:unsolved")
    assert_accessible(page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_header_of_a_ticket_page_searches_every_ticket(site, new_page, make_ticket, language):
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    here = make_ticket(email="alice@example.org", subject="Printer jam", language=language)
    wanted = make_ticket(email="bob@example.org", subject="Refund for order 77", language=language)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/tickets/{here.reference}/")
    assert_accessible(page)
    page.locator("#workspace-q").fill("refund")
    page.locator("#workspace-q").press("Enter")
    rows = page.locator(".ticket-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"#{wanted.reference}")
