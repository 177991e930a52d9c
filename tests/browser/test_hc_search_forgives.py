"""Help Center search that forgives (issue 22), in a real browser, in French and in English: a typo
finds its article with a "Did you mean" link, on whichever engine the tests run (SQLite by
default, PostgreSQL with DATABASE_URL); the other language's articles when the reader's has none;
popular articles, with their category and section, when nothing is typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from comptoir.helpcenter.models import Article, Section
from comptoir.helpcenter.services import article_translation_save
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

TYPOS = {
    "fr": {
        "locale": "fr-FR", "typo": "captur d'ecrann", "corrected": "capture d'écran",
        "title": "Faire de bonnes captures d’écran"  # noqa: RUF001  # the articles' typographic apostrophe
    },
    "en": {
        "locale": "en-GB", "typo": "screnshot", "corrected": "screenshot",
        "title": "Taking good screenshots"
    },
}  # fmt: skip


def search_from_the_box(page, words: str) -> None:
    box = page.get_by_role("search").get_by_role("searchbox")
    box.fill(words)
    with page.expect_navigation():
        box.press("Enter")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_typo_finds_its_article_and_offers_the_corrected_words(site, new_page, language):
    words = TYPOS[language]
    page = new_page(words["locale"])
    page.goto(f"{site.url}/{language}/")

    search_from_the_box(page, words["typo"])

    results = page.locator(".search-results")
    expect(results.get_by_role("link", name=words["title"])).to_be_visible()
    suggestion = page.locator(".search-suggestion")
    # The interface's sentence is translated by the lead's catalogue; the corrected words are the articles'.
    corrected = suggestion.get_by_role("link", name=words["corrected"])
    expect(corrected).to_be_visible()
    assert_accessible(page)

    with page.expect_navigation():
        corrected.click()
    expect(page.get_by_role("search").get_by_role("searchbox")).to_have_value(words["corrected"])
    expect(page.locator(".search-suggestion")).to_have_count(0)
    # Exact words: their matches are marked.
    assert page.locator(".search-excerpt mark").count() >= 1
    with page.expect_navigation():
        page.locator(".search-results").get_by_role("link", name=words["title"]).click()
    expect(page.get_by_role("heading", level=1, name=words["title"])).to_be_visible()


@pytest.mark.parametrize(
    ("language", "locale", "other", "word", "title", "marker"),
    [
        ("en", "en-GB", "fr", "ornithorynque", "L’ornithorynque du support", "Français"),  # noqa: RUF001  # the articles' typographic apostrophe
        ("fr", "fr-FR", "en", "platypus", "The support platypus", "English"),
    ],
)
def test_nothing_in_the_readers_language_offers_the_other_languages_article(
    site, new_page, language, locale, other, word, title, marker
):
    section = Section.objects.get(key="support-tickets")
    article = Article.objects.create(key="only-one-language", section=section)
    article_translation_save(
        article=article, language=other, title=title, slug="only", summary="", body_markdown=f"A {word} answers."
    )
    page = new_page(locale)
    page.goto(f"{site.url}/{language}/")

    search_from_the_box(page, word)

    result = page.locator(".search-results > li")
    expect(result).to_have_count(1)
    # Marked as written in the other language, for eyes and for screen readers.
    expect(result).to_have_attribute("lang", other)
    expect(result.locator(".tag")).to_have_text(marker)
    assert_accessible(page)
    with page.expect_navigation():
        result.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", other)


@pytest.mark.parametrize(("language", "locale"), [("fr", "fr-FR"), ("en", "en-GB")])
def test_an_empty_search_shows_popular_articles_with_their_category_and_section(site, new_page, language, locale):
    page = new_page(locale)
    page.goto(f"{site.url}/{language}/search/")

    popular = page.locator(".search-popular")
    expect(popular.locator(".search-results > li").first).to_be_visible()
    assert popular.locator(".search-results > li").count() >= 3
    place = popular.locator(".search-place").first
    expect(place.get_by_role("link")).to_have_count(2)
    assert_accessible(page)
