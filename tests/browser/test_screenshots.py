"""`make screenshots`: every requester-facing page, in French and English, under docs/screenshots/; the Help
Center home, an article, the ticket form and My tickets on a phone (390 px) too, as `<name>-phone.<language>.png`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from comptoir.accounts.services import email_address_record
from comptoir.helpcenter.models import ArticleTranslation, SectionTranslation
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import Status
from comptoir.tickets.services import ticket_set_status
from tests.browser.conftest import ROOT, assert_accessible, whole_page_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.screenshots]

PASSWORD = "a-long-Passw0rd!"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_screenshots(site, new_page, make_ticket, language, tmp_path):
    folder = ROOT / os.environ.get("COMPTOIR_SCREENSHOTS", "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    page = new_page("fr-FR" if language == "fr" else "en-GB")
    base = f"{site.url}/{language}"
    article = ArticleTranslation.objects.filter(language=language).order_by("article__position").first()
    section = SectionTranslation.objects.filter(language=language).first()
    ticket = make_ticket(language=language, subject="Export CSV" if language == "en" else "Export CSV en panne")

    def shoot(name: str, url: str | None = None) -> None:
        if url:
            page.goto(url)
        assert_accessible(page)
        whole_page_screenshot(page, folder / f"{name}.{language}.png")

    def shoot_phone(name: str, url: str) -> None:
        """The page on a phone (390 px), as a customer holds it: `<name>-phone.<language>.png`."""
        page.set_viewport_size(PHONE)
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing runs off the side
        shoot(f"{name}-phone")
        page.set_viewport_size(DESKTOP)

    shoot("home", f"{base}/")
    shoot_phone("home", f"{base}/")
    shoot("section", f"{base}/sections/{section.section_id}-{section.slug}/")
    shoot("article", f"{base}/articles/{article.article_id}-{article.slug}/")
    shoot_phone("article", f"{base}/articles/{article.article_id}-{article.slug}/")
    shoot("search", f"{base}/search/?q=ticket")
    shoot_phone("ticket-form", f"{base}/tickets/new/")
    shoot("ticket-form", f"{base}/tickets/new/")
    page.locator("input[name=subject]").fill("…")
    image = Path(tmp_path / "bad.png")
    image.write_bytes(b"MZ" + b"\0" * 100)
    page.locator("input[name=attachments]").set_input_files(str(image))
    page.locator("form.form-card button[type=submit]").click()
    shoot("ticket-form-errors")
    page.goto(f"{site.url}/t/{link_issue(ticket)}/")
    shoot("ticket")
    shoot("link-request", f"{base}/tickets/link/")
    shoot("link-invalid", f"{site.url}/t/{'x' * 43}/")
    # The product's own error pages, which DEBUG would hide behind Django's (comptoir.devoutbox.views.error_page).
    shoot("not-found", f"{site.url}/dev/errors/404/")
    shoot("server-error", f"{site.url}/dev/errors/500/")
    shoot("login", f"{site.url}/accounts/login/")
    shoot("signup", f"{site.url}/accounts/signup/")
    shoot("login-code", f"{site.url}/accounts/login/code/")
    shoot("password-reset", f"{site.url}/accounts/password/reset/")
    shoot("statuses", f"{base}/statuses/")
    shoot("outbox", f"{site.url}/dev/outbox/")
    # Signed in: the requester's own space.
    ticket_set_status(ticket, Status.PENDING, actor=None)
    email_address_record(user=ticket.requester, verified=True)
    ticket.requester.set_password(PASSWORD)
    ticket.requester.save()
    page.goto(f"{site.url}/accounts/login/")
    page.locator("input[name=login]").fill(ticket.requester.email)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    shoot("my-tickets", f"{base}/my/tickets/?status=all")
    shoot_phone("my-tickets", f"{base}/my/tickets/?status=all")
    shoot("refused-customer", f"{base}/agent/")
    shoot("account-password", f"{site.url}/accounts/password/change/")
    shoot("profile", f"{base}/my/profile/")
    # A new visitor signs up: the page that waits for the code mailed to the address.
    page = new_page("fr-FR" if language == "fr" else "en-GB")
    page.goto(f"{site.url}/accounts/signup/")
    page.locator("#id_email").fill(f"new-{language}@example.org")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#id_password2").press("Enter")
    shoot("signup-code")
