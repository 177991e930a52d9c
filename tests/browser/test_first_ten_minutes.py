"""What a newcomer tries first, in Chromium, in French and English: a link in an e-mail of the
development outbox, and a page their account may not open."""

from __future__ import annotations

import re
import time

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.accounts.services import email_address_record
from comptoir.devoutbox.models import CapturedEmail
from comptoir.tickets.services import ticket_create
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

LOCALES = [("fr", "fr-FR"), ("en", "en-GB")]


def caught(to: str) -> CapturedEmail:
    """The e-mail the worker delivered to the outbox."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        email = CapturedEmail.objects.filter(to_addresses=to).first()
        if email is not None:
            return email
        time.sleep(0.2)
    raise AssertionError(f"no e-mail to {to} reached the outbox")


def words(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.mark.parametrize(("language", "locale"), LOCALES)
def test_a_link_in_an_outbox_e_mail_opens_its_page_in_a_new_tab(site, browser, new_page, language, locale):
    ticket = ticket_create(
        email="noa@example.org", name="Noa", subject="Printer offline", description="It blinks.", language=language
    )
    email = caught("noa@example.org")
    # The pages' own security headers, as a developer's browser gets them (the shared fixture bypasses them).
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    try:
        outbox = context.new_page()
        outbox.goto(f"{site.url}/dev/outbox/{email.pk}/")
        preview = outbox.frame_locator("iframe.email-frame")

        with context.expect_page() as opened:
            preview.get_by_role("link", name=words(language, "View my ticket")).click()

        ticket_page = opened.value
        ticket_page.wait_for_url(re.compile(rf"/{language}/tickets/{ticket.reference}/$"))
        expect(ticket_page.get_by_role("heading", name="Printer offline")).to_be_visible()
        # A new tab that cannot reach back into the outbox; the outbox stays where it was.
        assert ticket_page.evaluate("window.opener") is None
        assert outbox.url == f"{site.url}/dev/outbox/{email.pk}/"
    finally:
        context.close()
    page = new_page(locale)
    page.goto(f"{site.url}/dev/outbox/{email.pk}/")
    assert_accessible(page)


def log_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")


@pytest.mark.parametrize(("language", "locale"), LOCALES)
def test_an_agent_without_the_editor_role_is_told_who_gives_it(site, new_page, language, locale):
    User.objects.create_user("ada@example.com", password="pw-ada", name="Ada Admin", role=Role.ADMIN)
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    page = new_page(locale)
    log_in(page, site.url, "camille@example.com", "pw-camille")

    response = page.goto(f"{site.url}/{language}/agent/articles/")

    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(words(language, "Writing articles takes the editor role"))
    expect(page.get_by_role("link", name="Ada Admin")).to_have_attribute("href", "mailto:ada@example.com")
    assert_accessible(page)
    page.get_by_role("link", name=words(language, "Back to your tickets")).click()
    page.wait_for_url(re.compile(rf"/{language}/agent/"))


@pytest.mark.parametrize(("language", "locale"), LOCALES)
def test_a_customer_on_a_team_page_is_sent_to_their_own_tickets(site, new_page, language, locale):
    customer = User.objects.create_user("noa@example.org", password="pw-noa-long-enough", name="Noa")
    email_address_record(user=customer, verified=True)
    page = new_page(locale)
    log_in(page, site.url, "noa@example.org", "pw-noa-long-enough")

    response = page.goto(f"{site.url}/{language}/agent/")

    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        words(language, "This page is for the Customer Care team")
    )
    assert_accessible(page)
    page.locator(".refusal").get_by_role("link", name=words(language, "My tickets")).click()
    page.wait_for_url(re.compile(rf"/{language}/my/tickets/"))
