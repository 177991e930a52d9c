"""The edit page: what it loads, what it says about the published version, errors, translations."""

from __future__ import annotations

from comptoir.accounts.models import User
from comptoir.editor.services import article_draft_save
from tests.editor.conftest import form_data, url


def test_it_starts_from_the_published_text(client, editor, live_article):
    client.force_login(editor)
    page = client.get(url("editor_article", live_article.pk, "fr")).content.decode()
    assert "Ouvrez **Mon compte**" in page
    assert 'value="Changer de mot de passe"' in page
    assert url("article_detail", live_article.pk, "changer-de-mot-de-passe", language="fr") in page


def test_it_starts_from_the_newest_draft_and_says_one_is_pending(client, editor, live_article):
    article_draft_save(
        article=live_article,
        language="fr",
        title="Nouveau titre",
        summary="",
        body_markdown="Brouillon.",
        author=editor,
    )
    client.force_login(editor)
    response = client.get(url("editor_article", live_article.pk, "fr"))
    page = response.content.decode()
    assert 'value="Nouveau titre"' in page
    assert "Brouillon." in page
    assert "A draft newer than the published version exists" in page
    assert response.context["state"].has_newer_draft


def test_it_says_nothing_is_pending_after_publishing(client, editor, live_article):
    client.force_login(editor)
    client.post(url("editor_article_draft", live_article.pk, "fr"), form_data())
    client.post(url("editor_article_publish", live_article.pk, "fr"), form_data())
    response = client.get(url("editor_article", live_article.pk, "fr"))
    assert not response.context["state"].has_newer_draft
    assert "A draft newer" not in response.content.decode()


def test_it_keeps_what_was_typed_when_the_form_has_errors(client, editor, live_article):
    client.force_login(editor)
    response = client.post(
        url("editor_article_publish", live_article.pk, "fr"),
        form_data(title="   ", summary="Un résumé tapé", body="Un corps tapé <script>alert(1)</script>"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Un résumé tapé" in page
    assert "Un corps tapé &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'class="error-summary"' in page
    assert live_article.revisions.count() == 0


def test_it_lets_an_editor_write_the_missing_translation(client, editor, live_article):
    client.force_login(editor)
    page = client.get(url("editor_article", live_article.pk, "en")).content.decode()
    assert "has no text in English yet" in page
    assert 'lang="en"' in page

    client.post(url("editor_article_publish", live_article.pk, "en"), form_data(title="Change your password"))

    assert {t.language for t in live_article.translations.all()} == {"fr", "en"}
    response = client.get(url("article_detail", live_article.pk, "change-your-password", language="en"))
    assert response.status_code == 200


def test_it_lists_the_history_of_the_language(client, editor, admin_user, live_article):
    article_draft_save(article=live_article, language="fr", title="t", summary="", body_markdown="b", author=admin_user)
    article_draft_save(article=live_article, language="en", title="t", summary="", body_markdown="b", author=editor)
    client.force_login(editor)
    response = client.get(url("editor_article", live_article.pk, "fr"))
    assert [(r.author, r.kind) for r in response.context["history"]] == [(admin_user, "draft")]
    assert "Sam" in response.content.decode()


def test_it_refuses_an_unknown_language(client, editor, live_article):
    client.force_login(editor)
    assert client.get(url("editor_article", live_article.pk, "de")).status_code == 404
    assert client.post(url("editor_article_publish", live_article.pk, "de"), form_data()).status_code == 404


def test_it_runs_the_same_queries_for_one_revision_and_twenty(client, editor, live_article, django_assert_num_queries):
    def save(count: int) -> None:
        for number in range(count):
            article_draft_save(
                article=live_article, language="fr", title=f"v{number}", summary="", body_markdown="b", author=editor
            )

    save(1)
    client.force_login(User.objects.get(pk=editor.pk))
    # 1 session, 2 user with the permission, given to them or a group (comptoir/editor/backends.py),
    # 3 article with its section, 4 newest text revision, 5 live translation, 6 history with authors.
    with django_assert_num_queries(6):
        client.get(url("editor_article", live_article.pk, "fr"))
    save(19)
    with django_assert_num_queries(6):
        response = client.get(url("editor_article", live_article.pk, "fr"))
    assert len(response.context["history"]) == 20
