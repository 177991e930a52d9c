"""Ticket forms in a real browser, in French and in English: pick a form, a conditional field appears,
a mistyped pattern is refused and what was typed stays. Under `make screenshots`, its pictures land in
docs/screenshots/ (tests.browser.conftest.screenshot_folder)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.ticketforms.models import FieldKind, TicketField, TicketForm
from comptoir.ticketforms.services import form_fields_set
from comptoir.tickets.models import Ticket
from tests.browser.conftest import assert_accessible, screenshot_folder, whole_page_screenshot
from tests.browser.test_conversation import log_in
from tests.browser.test_journey import WORDS, solve_captcha

pytestmark = pytest.mark.browser

SCREENSHOTS = screenshot_folder()

TEXTS = {
    "fr": {"form": "Signaler un bogue", "product": "Produit", "web": "Application web", "browser": "Navigateur"},
    "en": {"form": "Bug report", "product": "Product", "web": "Web app", "browser": "Browser"},
}


def forms_defined() -> None:
    product = TicketField.objects.create(
        key="product",
        kind=FieldKind.DROPDOWN,
        label_fr="Produit",
        label_en="Product",
        choices=[["web", "Application web", "Web app"], ["mobile", "Application mobile", "Mobile app"]],
        required=True,
    )
    browser = TicketField.objects.create(
        key="browser",
        kind=FieldKind.TEXT,
        label_fr="Navigateur",
        label_en="Browser",
        help_fr="Son nom et sa version, par exemple Firefox 133.",
        help_en="Its name and version, for example Firefox 133.",
        required=True,
        shown_when_field=product,
        shown_when_value="web",
    )
    order = TicketField.objects.create(
        key="order_number",
        kind=FieldKind.PATTERN,
        label_fr="Numéro de commande",
        label_en="Order number",
        help_fr="Il commence par CMD- suivi de six chiffres.",
        help_en="It starts with CMD- followed by six digits.",
        pattern=r"CMD-\d{6}",
    )
    bug = TicketForm.objects.create(
        slug="bug",
        title_fr="Signaler un bogue",
        title_en="Bug report",
        description_fr="Quelque chose ne marche pas comme prévu.",
        description_en="Something does not work as it should.",
        ticket_type="incident",
    )
    form_fields_set(form=bug, fields=[product, browser, order])
    billing = TicketForm.objects.create(
        slug="billing",
        title_fr="Question de facturation",
        title_en="Billing question",
        description_fr="Une facture, un paiement, un remboursement.",
        description_en="An invoice, a payment, a refund.",
        ticket_type="question",
        position=1,
    )
    form_fields_set(form=billing, fields=[order])


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_picks_a_form_shows_a_conditional_field_and_keeps_a_mistyped_pattern(site, new_page, language):
    forms_defined()
    words, texts = WORDS[language], TEXTS[language]
    page = new_page(words["locale"])

    page.goto(f"{site.url}/{language}/tickets/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["new_ticket"])
    assert_accessible(page)
    whole_page_screenshot(page, SCREENSHOTS / f"ticket-form-pick.{language}.png")
    page.get_by_role("link", name=texts["form"]).click()
    page.wait_for_url(f"**/{language}/tickets/new/?form=bug")
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["form"])

    browser_field = page.get_by_label(texts["browser"])
    expect(browser_field).to_be_hidden()
    page.get_by_label(texts["product"]).select_option("web")
    expect(browser_field).to_be_visible()
    page.get_by_label(texts["product"]).select_option("mobile")
    expect(browser_field).to_be_hidden()
    page.get_by_label(texts["product"]).select_option("web")
    assert_accessible(page)

    page.locator("input[name=email]").fill("claire@example.org")
    page.locator("input[name=name]").fill("Claire Dubois")
    page.locator("input[name=subject]").fill("The export button does nothing")
    page.locator("textarea[name=description]").fill("I click Export and nothing happens.")
    browser_field.fill("Firefox 133")
    page.locator("input[name=field_order_number]").fill("CMD-12")
    whole_page_screenshot(page, SCREENSHOTS / f"ticket-form-fields.{language}.png")
    solve_captcha(page, words)
    page.get_by_role("button", name=words["send"], exact=True).click()

    page.wait_for_load_state("load")
    assert Ticket.objects.count() == 0
    order_field = page.locator("input[name=field_order_number]")
    expect(order_field).to_have_value("CMD-12")
    expect(page.locator(".ticket-field .has-error")).to_have_count(1)
    expect(page.locator(".error-summary")).to_be_visible()
    # The rest of what was typed stays, the conditional field still shown with its value.
    expect(browser_field).to_be_visible()
    expect(browser_field).to_have_value("Firefox 133")
    expect(page.locator("input[name=subject]")).to_have_value("The export button does nothing")
    assert_accessible(page)

    order_field.fill("CMD-123456")
    solve_captcha(page, words)
    page.get_by_role("button", name=words["send"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(words["sent"])
    ticket = Ticket.objects.get()
    assert ticket.type == "incident"
    assert {v.field.key: v.value for v in ticket.field_values.select_related("field")} == {
        "product": "web",
        "browser": "Firefox 133",
        "order_number": "CMD-123456",
    }


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_administrator_defines_a_field_and_an_agent_fills_it_on_a_ticket(site, new_page, language, make_ticket):
    User.objects.create_user("ada@example.com", password="pw-ada", name="Ada", role=Role.ADMIN)
    ticket = make_ticket(subject="Refund for order CMD-123456")
    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "ada@example.com", "pw-ada", language)

    page.goto(f"{site.url}/{language}/agent/settings/ticket-forms/")
    assert_accessible(page)
    page.goto(f"{site.url}/{language}/agent/settings/ticket-forms/fields/new/")
    assert_accessible(page)
    page.locator("input[name=key]").fill("order_number")
    page.locator("select[name=kind]").select_option("pattern")
    page.locator("input[name=label_fr]").fill("Numéro de commande")
    page.locator("input[name=label_en]").fill("Order number")
    page.locator("input[name=pattern]").fill("(a+)+")
    page.locator("form.form-card button[type=submit]").click()
    # A pattern that could backtrack for ever is refused, and said so.
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.locator("input[name=pattern]").fill(r"CMD-\d{6}")
    page.locator("form.form-card button[type=submit]").click()
    page.wait_for_url("**/agent/settings/ticket-forms/")
    expect(page.locator(".ticketform-settings")).to_contain_text("order_number")
    whole_page_screenshot(page, SCREENSHOTS / f"ticket-fields-settings.{language}.png")

    page.goto(f"{site.url}/{language}/agent/tickets/{ticket.reference}/")
    label = "Numéro de commande" if language == "fr" else "Order number"
    card = page.locator("section[aria-labelledby=fields-title]")
    card.get_by_label(label).fill("CMD-123456")
    card.locator("button[type=submit]").click()
    page.wait_for_url(f"**/agent/tickets/{ticket.reference}/#fields-title")
    expect(card.get_by_label(label)).to_have_value("CMD-123456")
    colon = "\u202f:" if language == "fr" else ":"
    expect(page.locator(".history")).to_contain_text(f"{label}{colon} — → CMD-123456")
    assert_accessible(page)
    card.screenshot(path=str(SCREENSHOTS / f"agent-ticket-fields.{language}.png"))
