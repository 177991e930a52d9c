"""The article editor in a real browser (issue 22): an image inserted where the cursor is, the preview
beside the text on a wide screen, the image shown to readers once published; FR and EN, axe clean."""

from __future__ import annotations

import pytest
from PIL import Image
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.helpcenter.models import Article, ArticleTranslation
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in
from tests.editor.conftest import editors_group

pytestmark = pytest.mark.browser

LOCALES = {"fr": "fr-FR", "en": "en-GB"}


def loaded(image) -> bool:
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_editor_inserts_an_image_beside_its_preview_and_readers_see_it(site, new_page, language, tmp_path):
    editor = User.objects.create_user("dominique@example.com", password="pw-editor", name="Dominique", role=Role.AGENT)
    editor.groups.add(editors_group())
    article = Article.objects.get(key="taking-good-screenshots")
    shot = tmp_path / "screen.png"
    Image.new("RGB", (2000, 900), (20, 110, 140)).save(shot)

    page = new_page(LOCALES[language])
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, site.url, editor.email, "pw-editor", language)
    page.goto(f"{site.url}/{language}/agent/articles/{article.pk}/{language}/")
    text = page.locator("textarea[name=body_markdown]")
    first_line = text.input_value().split("\n", 1)[0]
    # The cursor at the end of the first line: the image goes right after it.
    text.click()
    text.evaluate("area => { const end = area.value.indexOf('\\n'); area.setSelectionRange(end, end); }")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    page.locator("input[name=image]").set_input_files(str(shot))
    page.locator("input[name=image_alt]").fill("A blue screen")
    with page.expect_navigation():
        page.locator("[data-insert-image]").click()

    body = text.input_value()
    assert body.startswith(f"{first_line}\n\n![A blue screen](/articles/images/"), body[:200]
    preview_image = page.locator("#editor-preview img[alt='A blue screen']")
    expect(preview_image).to_be_visible()
    assert loaded(preview_image)
    # Side by side on a wide screen: the preview starts right of the form, level with it (seen from the top).
    page.evaluate("() => window.scrollTo(0, 0)")
    form, preview = page.locator(".editor-form").bounding_box(), page.locator("#editor-preview").bounding_box()
    assert preview["x"] >= form["x"] + form["width"]
    assert abs(preview["y"] - form["y"]) < 2
    assert preview_image.bounding_box()["width"] <= preview["width"]
    page.screenshot(path=str(tmp_path / f"editor-image.{language}.png"))
    assert_accessible(page)

    with page.expect_navigation():
        page.locator("form.editor-form button.button-primary").click()
    translation = ArticleTranslation.objects.get(article=article, language=language)
    assert "![A blue screen](/articles/images/" in translation.body_markdown
    page.goto(f"{site.url}/{language}/articles/{article.pk}-{translation.slug}/")
    shown = page.locator(".prose img[alt='A blue screen']")
    expect(shown).to_be_visible()
    assert loaded(shown)
    assert shown.evaluate("img => img.naturalWidth") == 1600
    assert_accessible(page)

    # A phone: the image fits the column.
    page.set_viewport_size({"width": 390, "height": 844})
    assert shown.bounding_box()["width"] <= 390
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= innerWidth")
    page.screenshot(path=str(tmp_path / f"article-image-phone.{language}.png"))
