"""Starting a new article from the workspace."""

from __future__ import annotations

from comptoir.editor.models import RevisionKind
from comptoir.helpcenter.models import Article
from tests.editor.conftest import form_data, url


def test_it_offers_the_sections_in_the_page_language(client, editor, section):
    client.force_login(editor)
    page = client.get(url("editor_article_new", language="fr")).content.decode()
    assert "Votre compte" in page
    assert '<option value="fr" selected>' in page


def test_it_creates_a_hidden_article_with_a_first_draft(client, editor, section):
    client.force_login(editor)
    response = client.post(url("editor_article_new"), {"section": section.pk, "language": "fr", **form_data()})
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("editor_article", article.pk, "fr")
    assert not article.is_published
    assert article.section == section
    revision = article.revisions.get()
    assert (revision.kind, revision.language, revision.author, revision.title) == (
        RevisionKind.DRAFT,
        "fr",
        editor,
        "Reset a password",
    )


def test_it_keeps_what_was_typed_when_the_section_is_missing(client, editor, section):
    client.force_login(editor)
    response = client.post(url("editor_article_new"), {"language": "en", **form_data(body="Typed body")})
    assert response.status_code == 400
    assert "Typed body" in response.content.decode()
    assert not Article.objects.exists()
