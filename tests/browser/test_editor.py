"""An editor writes, previews and publishes an article in a real browser, in French and English pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.helpcenter.models import Article
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in
from tests.editor.conftest import editors_group

pytestmark = pytest.mark.browser

WORD = "quetzalcoatl"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_editor_publishes_a_new_article_that_search_then_finds(site, new_page, language):
    editor = User.objects.create_user(
        "dominique@example.com", password="pw-dominique", name="Dominique", role=Role.AGENT
    )
    editor.groups.add(editors_group())
    page = new_page("fr-FR" if language == "fr" else "en-GB")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, site.url, "dominique@example.com", "pw-dominique", language)

    page.locator(f".ws-sidebar a[href='/{language}/agent/articles/']").click()
    page.wait_for_url(re.compile(rf"/{language}/agent/articles/$"))
    expect(page.locator(".editor-table tbody tr").first).to_be_visible()
    assert_accessible(page)

    page.locator(f"a[href='/{language}/agent/articles/new/']").click()
    page.locator("select[name=section]").select_option(index=1)
    page.locator("select[name=language]").select_option("fr")
    page.locator("input[name=title]").fill("Le serpent à plumes")
    page.locator("input[name=summary]").fill("Un article écrit depuis l'espace de travail.")
    page.locator("textarea[name=body_markdown]").fill(
        f"## Origine\n\nLe **{WORD}** vient du Mexique.\n\n<script>alert('no')</script>"
    )
    assert_accessible(page)
    page.locator("form.editor-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/{language}/agent/articles/\d+/fr/$"))
    article = Article.objects.get(revisions__title="Le serpent à plumes")
    assert not article.is_published
    expect(page.locator(".flash")).to_be_visible()
    assert_accessible(page)

    page.locator(f"button[formaction*='/{article.pk}/fr/preview/']").click()
    preview = page.locator("#editor-preview")
    expect(preview.locator("strong")).to_have_text(WORD)
    expect(preview.locator("h2#origine")).to_have_text("Origine")
    assert preview.locator("script").count() == 0
    assert_accessible(page)

    page.locator(f"button[formaction$='/{article.pk}/fr/publish/']").click()
    page.wait_for_url(re.compile(rf"/{language}/agent/articles/{article.pk}/fr/$"))
    expect(page.locator(".badge-article-published")).to_be_visible()
    expect(page.locator(".editor-history li")).to_have_count(2)
    assert_accessible(page)

    page.goto(f"{site.url}/fr/search/?q={WORD}")
    expect(page.locator(f"a[href^='/fr/articles/{article.pk}-']")).to_contain_text("Le serpent à plumes")
    page.locator(f"a[href^='/fr/articles/{article.pk}-']").first.click()
    expect(page.locator("main")).to_contain_text("vient du Mexique")
    assert dialogs == []
