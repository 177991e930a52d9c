"""Searching the Help Center from its home page, in a real browser, in French and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

WORDS = {
    "fr": {"locale": "fr-FR", "query": "creer compte", "title": "Créer un compte"},
    "en": {"locale": "en-GB", "query": "tickets", "title": "Signing up to see all your tickets"},
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_searches_from_the_home_page_and_opens_a_result(site, new_page, language):
    words = WORDS[language]
    page = new_page(words["locale"])
    page.goto(site.url + "/")

    box = page.get_by_role("search").get_by_role("searchbox")
    box.fill(words["query"])
    box.press("Enter")

    page.wait_for_url(f"**/{language}/search/?q=*")
    expect(page.get_by_role("search").get_by_role("searchbox")).to_have_value(words["query"])
    results = page.locator(".search-results > li")
    assert results.count() >= 1
    assert page.locator(".search-excerpt mark").count() >= 1
    assert_accessible(page)
    page.locator(".search-results a", has_text=words["title"]).first.click()
    assert "/articles/" in page.url
    assert page.get_by_role("search").count() == 1
    assert_accessible(page)


def test_it_offers_a_ticket_when_nothing_is_found(site, new_page):
    page = new_page("en-GB")
    page.goto(f"{site.url}/en/search/?q=zzqqxx")

    expect(page.get_by_role("heading", name="No article matches your search")).to_be_visible()
    assert_accessible(page)
