"""The list of articles: what each row says, and a query count that does not grow with rows."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.contrib.auth.models import Group

from comptoir.accounts.models import User
from comptoir.editor.services import article_create, article_draft_save, article_publish
from tests.editor.conftest import url


def make_articles(section, author, count: int) -> None:
    for number in range(count):
        article = article_create(
            section=section, language="en", title=f"Article {number}", summary="", body_markdown="x", author=author
        )
        if number % 2:
            article_publish(
                article=article, language="en", title=f"Article {number}", summary="", body_markdown="y", author=author
            )


def test_it_shows_status_section_and_last_change(client, editor, admin_user, live_article):
    article_draft_save(
        article=live_article, language="en", title="Password", summary="", body_markdown="Draft.", author=admin_user
    )
    client.force_login(editor)
    response = client.get(url("editor_articles", language="fr"))
    (row,) = response.context["rows"]
    assert row.title == "Changer de mot de passe"
    assert row.section == "Votre compte"
    assert row.is_published
    assert row.draft_languages == ["en"]
    assert row.last_author == admin_user
    page = response.content.decode()
    assert "Brouillon en attente (EN)" in page
    assert "par Sam" in page


def test_it_shows_an_article_in_the_other_language_when_needed(client, editor, live_article):
    client.force_login(editor)
    response = client.get(url("editor_articles", language="en"))
    (row,) = response.context["rows"]
    assert (row.title, row.title_language, row.edit_language) == ("Changer de mot de passe", "fr", "fr")
    assert row.section == "Your account"
    assert row.last_author is None


def test_it_runs_the_same_queries_for_one_article_and_twenty(client, editor, section, django_assert_num_queries):
    make_articles(section, editor, 1)
    # A fresh user object, so its permissions are read in the request, as in production.
    client.force_login(User.objects.get(pk=editor.pk))
    # 1 session, 2 user with the permission, given to them or a group (comptoir/editor/backends.py),
    # 3 articles with their section and newest revisions, 4 their translations, 5 section
    # translations, 6 newest revisions with authors.
    with django_assert_num_queries(6):
        response = client.get(url("editor_articles"))
    assert len(response.context["rows"]) == 1

    make_articles(section, editor, 19)
    with django_assert_num_queries(6):
        response = client.get(url("editor_articles"))
    assert len(response.context["rows"]) == 20


def test_it_has_an_editors_group_created_by_a_migration(db):
    migration = importlib.import_module("comptoir.editor.migrations.0002_editors_group")
    Group.objects.filter(name="Editors").delete()
    migration.create_group(apps, None)
    migration.create_group(apps, None)  # Running it twice changes nothing.
    assert list(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True)) == ["edit_articles"]
