"""Walking the Help Center, category → section → article, in a real browser, then switching language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

WALK = {
    "fr": {
        "locale": "fr-FR",
        "category": "Ouvrir un ticket",
        "section": "Tickets de support",
        "article": "Comment ouvrir un ticket de support",
        "other": "en",
        "other_article": "How to open a support ticket",
        "switch": "EN",
    },
    "en": {
        "locale": "en-GB",
        "category": "Opening a ticket",
        "section": "Support tickets",
        "article": "How to open a support ticket",
        "other": "fr",
        "other_article": "Comment ouvrir un ticket de support",
        "switch": "FR",
    },
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_walks_from_a_category_to_an_article_and_switches_language(site, new_page, language):
    walk = WALK[language]
    page = new_page(walk["locale"])
    page.goto(f"{site.url}/{language}/")
    assert_accessible(page)

    page.get_by_role("heading", level=2, name=walk["category"]).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1, name=walk["category"])).to_be_visible()
    assert re.search(rf"/{language}/categories/\d+-[\w-]+/$", page.url), page.url
    assert_accessible(page)

    page.get_by_role("heading", level=3, name=walk["section"]).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1, name=walk["section"])).to_be_visible()
    breadcrumb = page.locator(".breadcrumb")
    expect(breadcrumb.get_by_role("link", name=walk["category"])).to_be_visible()
    assert_accessible(page)

    page.locator(".article-cards").get_by_role("link", name=walk["article"]).click()
    expect(page.get_by_role("heading", level=1, name=walk["article"])).to_be_visible()
    expect(breadcrumb.get_by_role("link", name=walk["section"])).to_be_visible()
    expect(breadcrumb.get_by_role("link", name=walk["category"])).to_be_visible()
    # The section's other articles, beside it (below it on a phone).
    expect(page.get_by_role("navigation", name=re.compile("^(In “|Dans «)"))).to_be_visible()
    assert_accessible(page)
    article_pk = re.search(r"/articles/(\d+)-", page.url).group(1)  # type: ignore[union-attr]

    # The switcher keeps the reader on the same article, now in the other language under its own slug.
    page.get_by_role("button", name=walk["switch"]).click()
    expect(page.get_by_role("heading", level=1, name=walk["other_article"])).to_be_visible()
    assert re.search(rf"/{walk['other']}/articles/{article_pk}-[\w-]+/$", page.url), page.url
    expect(page.locator("html")).to_have_attribute("lang", walk["other"])
    assert_accessible(page)
