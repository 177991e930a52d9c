"""Suggested articles while the customer types a ticket's subject, in a real browser, in French and in English."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.deflection.models import DeflectionEvent, EventKind
from comptoir.helpcenter.models import Article
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

WORDS = {
    "fr": {
        "locale": "fr-FR",
        "subject": "Comment creer un compte",
        "title": "Créer un compte pour retrouver tous vos tickets",
        "heading": "Ces articles répondent peut-être à votre question",
    },
    "en": {
        "locale": "en-GB",
        "subject": "Signing up for an account",
        "title": "Signing up to see all your tickets",
        "heading": "Maybe these articles answer your question",
    },
}


def wait_for_event(kind: EventKind) -> DeflectionEvent:
    """The script's requests are fire-and-forget: give them a moment to land."""
    for _ in range(50):
        event = DeflectionEvent.objects.filter(kind=kind).first()
        if event is not None:
            return event
        time.sleep(0.1)
    raise AssertionError(f"no {kind} event was recorded")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_suggests_articles_while_typing_the_subject(site, new_page, language):
    words = WORDS[language]
    page = new_page(words["locale"])
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{site.url}/{language}/tickets/new/")
    page.locator("textarea[name=description]").fill("Some details that must stay.")

    subject = page.locator("input[name=subject]")
    subject.press_sequentially(words["subject"], delay=40)

    suggestions = page.locator(".suggestions")
    link = suggestions.get_by_role("link", name=words["title"])
    expect(link).to_be_visible()
    assert suggestions.locator("li").count() <= 5
    # Screen readers hear how many articles were found, not the whole list at every pause.
    count = suggestions.locator("li").count()
    status = suggestions.get_by_role("status")
    assert status.get_attribute("aria-live") == "polite"
    if language == "en":
        expect(suggestions.get_by_role("complementary", name=words["heading"])).to_be_visible()
        expected = "One article" if count == 1 else f"{count} articles"
        expect(status).to_contain_text(f"{expected} may answer your question")
    else:
        expect(status).not_to_be_empty()
    assert_accessible(page)
    shown = wait_for_event(EventKind.SUGGESTIONS_SHOWN)
    assert shown.language == language

    with page.context.expect_page() as opened_tab:
        link.click()
    article = opened_tab.value
    article.wait_for_load_state()
    assert f"/{language}/articles/" in article.url
    expect(article.get_by_role("heading", level=1)).to_have_text(words["title"])

    # The form is where it was, with what was typed.
    assert f"/{language}/tickets/new/" in page.url
    expect(subject).to_have_value(words["subject"])
    expect(page.locator("textarea[name=description]")).to_have_value("Some details that must stay.")
    opened = wait_for_event(EventKind.OPENED)
    assert opened.visit == shown.visit == page.locator("input[name=suggestion_visit]").input_value()

    # Leaving the form without sending it counts as a request the article answered.
    article.close()
    page.goto(f"{site.url}/{language}/")
    abandoned = wait_for_event(EventKind.ABANDONED)
    assert (abandoned.visit, abandoned.article_id) == (opened.visit, opened.article_id)
    assert errors == []


def test_it_shows_nothing_under_three_characters(site, new_page):
    page = new_page("en-GB")
    page.goto(f"{site.url}/en/tickets/new/")
    page.locator("input[name=subject]").press_sequentially("si", delay=40)
    page.wait_for_timeout(600)

    assert page.locator(".suggestions").inner_text().strip() == ""
    assert not DeflectionEvent.objects.exists()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_shows_agents_the_deflection_report(site, new_page, language):
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    article = Article.objects.get(key="signing-up-to-see-your-tickets")
    for visit, kind in (("a" * 32, EventKind.ABANDONED), ("b" * 32, EventKind.TICKET_AFTER_OPEN)):
        DeflectionEvent.objects.create(kind=EventKind.OPENED, article=article, language=language, visit=visit)
        DeflectionEvent.objects.create(kind=kind, article=article, language=language, visit=visit)
    for kind in (EventKind.SEARCH, EventKind.NO_SUGGESTION):
        DeflectionEvent.objects.create(kind=kind, query="refund policy", language=language)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    page.goto(f"{site.url}/accounts/login/")
    page.locator("input[name=login]").fill("camille@example.com")
    page.locator("input[name=password]").fill("pw-camille")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"**/{language}/agent/**")
    page.locator(f".views-nav a[href='/{language}/agent/help-center/deflection/']").click()

    page.wait_for_url(f"**/{language}/agent/help-center/deflection/")
    expect(page.get_by_role("cell", name="refund policy")).to_be_visible()
    expect(page.get_by_role("link", name=WORDS[language]["title"])).to_be_visible()
    assert_accessible(page)
