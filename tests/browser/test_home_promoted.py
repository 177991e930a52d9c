"""The Help Center home at 1280 px and 390 px (issue 22): featured articles an editor chose, the popular
ones beside them across the width of the page, in French and in English, axe clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.helpcenter.models import Article, ArticleTranslation
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in
from tests.editor.conftest import editors_group

pytestmark = pytest.mark.browser

LOCALES = {"fr": "fr-FR", "en": "en-GB"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_editor_features_an_article_and_the_home_page_fills_the_width(site, new_page, language, tmp_path):
    editor = User.objects.create_user("dominique@example.com", password="pw-editor", name="Dominique", role=Role.AGENT)
    editor.groups.add(editors_group())
    article = Article.objects.get(key="replying-to-a-ticket")
    assert not article.is_promoted
    title = ArticleTranslation.objects.get(article=article, language=language).title

    page = new_page(LOCALES[language])
    log_in(page, site.url, editor.email, "pw-editor", language)
    page.goto(f"{site.url}/{language}/agent/articles/{article.pk}/{language}/")
    assert_accessible(page)
    with page.expect_navigation():
        page.locator("form[action$='/promote/'] button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("form[action$='/promote/'] input[name=promoted]")).to_have_value("no")

    page.goto(f"{site.url}/{language}/")
    featured = page.locator(".featured-card h3 a")
    # The demo's four and the one just chosen, in the Help Center's order.
    expect(featured).to_have_count(5)
    expect(featured.filter(has_text=title)).to_have_count(1)
    popular = page.locator(".popular-list a")
    expect(popular).to_have_count(5)
    assert title not in popular.all_inner_texts()

    # At 1280 px the featured cards and the popular list share the container's width, side by side.
    container = page.locator(".home-featured").bounding_box()
    outer = page.locator(".home-featured").evaluate("band => band.parentElement.clientWidth")
    assert container["width"] >= outer - 40, (container, outer)
    cards = [featured.nth(n).locator("xpath=ancestor::li").bounding_box() for n in range(5)]
    popular_box = page.locator(".popular").bounding_box()
    assert popular_box["x"] > max(card["x"] + card["width"] for card in cards) - 1
    assert abs((popular_box["x"] + popular_box["width"]) - (container["x"] + container["width"])) < 2
    # Two cards a row, filling the featured column.
    assert round(cards[0]["y"]) == round(cards[1]["y"]) < round(cards[2]["y"])
    assert round(cards[1]["x"] + cards[1]["width"]) <= round(popular_box["x"])
    page.screenshot(path=str(tmp_path / f"home-1280.{language}.png"), full_page=True)
    assert_accessible(page)

    # On a phone the two stack, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site.url}/{language}/")
    scroll, inner = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner
    assert page.locator(".popular").bounding_box()["y"] > page.locator(".featured").bounding_box()["y"]
    page.screenshot(path=str(tmp_path / f"home-390.{language}.png"), full_page=True)
    assert_accessible(page)
