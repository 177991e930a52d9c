"""Technical details sent with a ticket, in a real browser, in French and in English: the customer reads an
article, follows "New support ticket", leaves the consent box ticked and sends; the agent reads the "Context"
card, with a link to the article. Under `make screenshots`, its pictures land in docs/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.helpcenter.models import ArticleTranslation
from comptoir.ticketforms.models import TicketContext
from comptoir.tickets.models import Ticket
from tests.browser.conftest import assert_accessible, screenshot_folder
from tests.browser.test_conversation import log_in
from tests.browser.test_journey import WORDS, solve_captcha

pytestmark = pytest.mark.browser

SCREENSHOTS = screenshot_folder()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_context_sent_with_consent_shows_on_the_agents_page(site, new_page, language):
    words = WORDS[language]
    article = ArticleTranslation.objects.filter(language=language, article__is_published=True).order_by("pk").first()
    assert article is not None
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    page = new_page(words["locale"])

    # The customer reads an article, then asks for help from it.
    article_path = f"/{language}/articles/{article.article_id}-{article.slug}/"
    page.goto(site.url + article_path)
    page.locator(".callout a.button-primary").click()
    page.wait_for_url(f"**/{language}/tickets/new/?from=*")

    consent = page.locator("input[name=send_context]")
    expect(consent).to_be_visible()
    expect(consent).to_be_checked()
    expect(page.locator("[data-context-consent] li")).to_have_count(6)
    assert_accessible(page)

    page.locator("input[name=email]").fill("claire@example.org")
    page.locator("input[name=name]").fill("Claire Dubois")
    page.locator("input[name=ticket_type]").first.check()
    page.locator("input[name=subject]").fill("The export button does nothing")
    page.locator("textarea[name=description]").fill("I click Export and nothing happens.")
    solve_captcha(page, words)
    page.get_by_role("button", name=words["send"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(words["sent"])

    ticket = Ticket.objects.get()
    details = TicketContext.objects.get(ticket=ticket)
    # Debian's Chromium on Linux, in the test's 1280x900 window.
    assert "Chrom" in details.browser and details.system == "Linux" and details.screen == "1280\u00d7900"
    assert details.language == words["locale"]
    assert (details.came_from, details.came_from_kind) == (article_path, "article_detail")
    assert (details.article_path, details.article_title) == (article_path, article.title)

    # The agent reads it, in a card that costs the page no query (tests/ticketforms/test_context.py).
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/tickets/{ticket.reference}/")
    card = page.locator("section.ticket-context")
    expect(card).to_be_visible()
    expect(card.locator("summary")).to_contain_text(details.browser)
    expect(card.locator("summary")).to_contain_text(article.title)
    card.locator("summary").click()
    expect(card.locator(f'dd a[href="{article_path}"]').first).to_be_visible()
    assert_accessible(page)
    if language == "fr":
        # The sticky header would cover the card in a full-page picture.
        page.add_style_tag(content=".site-header, .workspace-header { position: static !important; }")
        card.screenshot(path=str(SCREENSHOTS / "ticket-context.fr.png"))
