"""Drafts, publishing and unpublishing: what readers see, what search finds, what history records."""

from __future__ import annotations

from comptoir.editor.models import ArticleRevision, RevisionKind
from comptoir.editor.services import article_create, article_draft_save, article_publish, article_unpublish
from comptoir.helpcenter.models import ArticleTranslation
from comptoir.helpcenter.search import search_articles
from tests.editor.conftest import form_data, url


def public_page(client, article, language: str = "fr"):
    translation = ArticleTranslation.objects.get(article=article, language=language)
    return client.get(url("article_detail", article.pk, translation.slug, language=language))


def test_it_keeps_a_draft_away_from_readers(client, editor, live_article):
    client.force_login(editor)
    response = client.post(
        url("editor_article_draft", live_article.pk, "fr"),
        form_data(title="Changer de mot de passe", body="Texte avec zygomorphe en cours."),
    )
    assert response.status_code == 302
    live = ArticleTranslation.objects.get(article=live_article, language="fr")
    assert "zygomorphe" not in live.body_markdown
    assert search_articles("zygomorphe", "fr") == []
    assert "zygomorphe" not in public_page(client, live_article).content.decode()
    revision = live_article.revisions.get()
    assert (revision.kind, revision.author, revision.language) == (RevisionKind.DRAFT, editor, "fr")


def test_it_publishes_to_the_help_center_and_its_search(client, editor, section):
    article = article_create(
        section=section, language="fr", title="Étiquettes", summary="", body_markdown="Un mot: ornithorynque.",
        author=editor,
    )  # fmt: skip
    assert search_articles("ornithorynque", "fr") == []
    client.force_login(editor)

    response = client.post(
        url("editor_article_publish", article.pk, "fr"),
        form_data(title="Étiquettes", body="Un mot rare: ornithorynque."),
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.is_published
    assert [hit.title for hit in search_articles("ornithorynque", "fr")] == ["Étiquettes"]
    page = public_page(client, article)
    assert page.status_code == 200
    assert "ornithorynque" in page.content.decode()
    assert ArticleTranslation.objects.get(article=article, language="fr").slug == "etiquettes"


def test_it_hides_an_unpublished_article(client, editor, live_article):
    translation = ArticleTranslation.objects.get(article=live_article, language="fr")
    client.force_login(editor)

    response = client.post(url("editor_article_unpublish", live_article.pk, "fr"))

    assert response.status_code == 302
    live_article.refresh_from_db()
    assert not live_article.is_published
    page = client.get(url("article_detail", live_article.pk, translation.slug, language="fr"))
    assert page.status_code == 404
    assert search_articles("passe", "fr") == []
    # The text is kept: publishing again brings the same article back.
    assert ArticleTranslation.objects.filter(article=live_article, language="fr").exists()


def test_it_records_every_change_in_order_with_its_author(editor, admin_user, section):
    article = article_create(
        section=section, language="en", title="Invoices", summary="", body_markdown="First.", author=editor
    )
    article_draft_save(
        article=article, language="en", title="Invoices", summary="", body_markdown="Second.", author=admin_user
    )
    article_publish(
        article=article, language="en", title="Invoices", summary="s", body_markdown="Third.", author=editor
    )
    article_unpublish(article=article, author=admin_user)

    history = list(ArticleRevision.objects.filter(article=article).order_by("id"))
    assert [(r.kind, r.author, r.body_markdown) for r in history] == [
        (RevisionKind.DRAFT, editor, "First."),
        (RevisionKind.DRAFT, admin_user, "Second."),
        (RevisionKind.PUBLISHED, editor, "Third."),
        (RevisionKind.UNPUBLISHED, admin_user, "Third."),
    ]
    assert {r.language for r in history} == {"en"}


def test_it_records_the_unpublishing_in_each_published_language(editor, live_article):
    article_publish(
        article=live_article, language="en", title="Password", summary="", body_markdown="Live.", author=editor
    )
    article_unpublish(article=live_article, author=editor)

    unpublished = live_article.revisions.filter(kind=RevisionKind.UNPUBLISHED)
    assert {(r.language, r.title) for r in unpublished} == {("fr", "Changer de mot de passe"), ("en", "Password")}


def test_it_keeps_a_pending_draft_through_unpublishing(client, editor, live_article):
    article_draft_save(
        article=live_article, language="fr", title="Brouillon", summary="", body_markdown="En cours.", author=editor
    )
    article_unpublish(article=live_article, author=editor)
    client.force_login(editor)

    response = client.get(url("editor_article", live_article.pk, "fr"))

    assert response.context["state"].has_newer_draft
    assert response.context["form"].initial["body_markdown"] == "En cours."
    # What was hidden is the live text, not the draft.
    assert live_article.revisions.first().body_markdown.startswith("Ouvrez")
    list_page = client.get(url("editor_articles", language="fr"))
    assert list_page.context["rows"][0].draft_languages == ["fr"]


def test_it_keeps_history_when_the_author_leaves(editor, section):
    article = article_create(
        section=section, language="fr", title="Départ", summary="", body_markdown="x", author=editor
    )
    editor.delete()
    revision = article.revisions.get()
    assert revision.author is None


def test_it_gives_new_articles_a_unique_key_and_an_ascii_slug(editor, section):
    first = article_create(
        section=section, language="fr", title="Façade été", summary="", body_markdown="x", author=editor
    )
    second = article_create(
        section=section, language="fr", title="Façade été", summary="", body_markdown="x", author=editor
    )
    symbols = article_create(section=section, language="fr", title="???", summary="", body_markdown="x", author=editor)

    assert (first.key, second.key, symbols.key) == ("facade-ete", "facade-ete-2", "article")
    assert not first.is_published
    assert first.revisions.get().slug == "facade-ete"
    assert symbols.revisions.get().slug == "article"
