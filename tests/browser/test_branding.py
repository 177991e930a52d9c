"""Branding in a real browser, in French and English: an administrator sets a colour and a logo, the Help
Center's header shows them, and so does an e-mail in the development outbox. Axe-clean at each step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.branding.models import Branding
from comptoir.tickets.services import ticket_create
from tests.branding.conftest import HOSTILE_SVG, image_bytes
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in
from tests.browser.test_journey import wait_for_email

pytestmark = pytest.mark.browser

NAMES = {"fr": "Assistance Exemple", "en": "Example Support"}
# Readable (5.6:1 against white) and far from the shipped teal, so the change is visible.
COLOUR = "#b42318"
RGB = "rgb(180, 35, 24)"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_administrator_brands_the_help_center_and_its_e_mails(site, new_page, tmp_path, language):
    User.objects.create_user("ada@example.com", password="pw-ada", name="Ada", role=Role.ADMIN, language=language)
    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "ada@example.com", "pw-ada", language)
    page.goto(f"{site.url}/{language}/agent/settings/")
    page.locator(f"a[href='/{language}/agent/settings/branding/']").click()
    expect(page.locator("#branding-form")).to_be_visible()
    assert_accessible(page)

    # Refused first: a colour too pale, and an SVG logo; the page says why and keeps nothing.
    svg = tmp_path / "logo.svg"
    svg.write_bytes(HOSTILE_SVG)
    page.locator("#id_name_fr").fill(NAMES["fr"])
    page.locator("#id_name_en").fill(NAMES["en"])
    page.locator("#id_colour").fill("#fbbf24")
    page.locator("#id_logo").set_input_files(str(svg))
    page.locator("#branding-form button[type=submit]").click()
    expect(page.locator("#branding-form .has-error")).to_have_count(2)
    expect(page.locator("#branding-form")).to_contain_text(re.compile(r"1[.,]66:1"))
    assert_accessible(page)
    assert not Branding.objects.exists()

    logo = tmp_path / "logo.png"
    logo.write_bytes(image_bytes(size=(320, 160), colour="#1f2937"))
    page.locator("#id_colour").fill(COLOUR)
    page.locator("#id_logo").set_input_files(str(logo))
    page.locator("#id_link_1_label_fr").fill("Confidentialité")
    page.locator("#id_link_1_label_en").fill("Privacy")
    page.locator("#id_link_1_url").fill("https://example.com/privacy")
    page.locator("#id_signature_fr").fill("Équipe Exemple")
    page.locator("#id_signature_en").fill("The Example team")
    page.locator("#branding-form button[type=submit]").click()
    expect(page.locator(".branding-current-logo img")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / f"branding-settings.{language}.png"), full_page=True)

    # The Help Center: the logo and name in the header, the colour on the primary button, the link in the footer.
    page.goto(f"{site.url}/{language}/")
    header_logo = page.locator(".site-header img.brand-logo")
    expect(header_logo).to_be_visible()
    assert page.evaluate("img => img.naturalHeight", header_logo.element_handle()) == 96  # served, decoded, scaled
    expect(page.locator(".site-header .brand-text")).to_contain_text(NAMES[language])
    assert page.locator(".new-ticket").evaluate("e => getComputedStyle(e).backgroundColor") == RGB
    footer_label = "Confidentialité" if language == "fr" else "Privacy"
    expect(page.locator(".site-footer").get_by_role("link", name=footer_label)).to_have_attribute(
        "href", "https://example.com/privacy"
    )
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / f"branding-home.{language}.png"))

    # An e-mail: the confirmation of a new ticket, in the outbox, with the logo, the colour and the signature.
    ticket_create(
        email="alice@example.org", subject="Branded confirmation", name="Alice", description="Hi.", language=language
    )
    wait_for_email(page, site.url, "Branded confirmation")
    expect(page.locator("pre.email-text")).to_contain_text(
        "-- \n" + ("Équipe Exemple" if language == "fr" else "The Example team")
    )
    assert_accessible(page)
    frame = page.frame_locator("iframe.email-frame")
    email_logo = frame.locator("img").first
    expect(email_logo).to_be_visible()
    assert email_logo.evaluate("img => img.naturalWidth") > 0  # the absolute address loads in the preview
    heading = frame.locator("td[style*='font-size:18px']")  # the e-mail's header: the logo and the name
    expect(heading).to_contain_text(NAMES[language])
    assert heading.evaluate("e => getComputedStyle(e).color") == RGB
    expect(frame.locator("body")).to_contain_text("Équipe Exemple" if language == "fr" else "The Example team")
    page.screenshot(path=str(tmp_path / f"branding-email.{language}.png"), full_page=True)
