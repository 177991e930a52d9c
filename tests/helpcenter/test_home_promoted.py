"""The Help Center home's featured articles (chosen by editors) and popular ones (issue 22)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comptoir.accounts.models import Role, User
from comptoir.helpcenter import selectors
from comptoir.helpcenter.models import Article, ArticleVote, Section
from comptoir.helpcenter.search_page import popular_articles
from comptoir.helpcenter.services import article_translation_save
from tests.editor.conftest import editor, section, url  # noqa: F401


def add_article(
    in_section: Section, key: str, *, languages: tuple[str, ...] = ("fr", "en"), **fields: object
) -> Article:
    article = Article.objects.create(key=key, section=in_section, position=Article.objects.count() + 1, **fields)
    for language in languages:
        article_translation_save(
            article=article,
            language=language,
            title=f"{key} ({language})",
            slug=key,
            summary=f"About {key}.",
            body_markdown="Text.",
        )
    return article


def titles_in(html: str, block_id: str) -> list[str]:
    """The link texts of the home page's section headed by ``block_id``, in their order."""
    start = html.index(f'id="{block_id}"')
    end = html.index("</section>", start)
    return [
        chunk.split("</a>", 1)[0].rsplit(">", 1)[-1] for chunk in html[start:end].split("<a ")[1:] if "</a>" in chunk
    ]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_editor_features_an_article_and_the_home_page_leads_with_it(client, editor, section, language):  # noqa: F811
    first = add_article(section, "first")
    second = add_article(section, "second")
    client.force_login(editor)

    response = client.post(url("editor_article_promote", second.pk, language, language=language), {"promoted": "yes"})

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.is_promoted
    html = client.get(f"/{language}/").content.decode()
    assert titles_in(html, "featured-title") == [f"second ({language})"]
    # The popular list does not repeat it.
    assert titles_in(html, "popular-title") == [f"first ({language})"]
    assert first.pk not in [link.pk for link in selectors.promoted_articles(language)]

    client.post(url("editor_article_promote", second.pk, language, language=language), {"promoted": "no"})
    second.refresh_from_db()
    assert not second.is_promoted
    assert 'id="featured-title"' not in client.get(f"/{language}/").content.decode()


def test_the_editor_page_and_list_say_whether_an_article_is_featured(client, editor, section):  # noqa: F811
    article = add_article(section, "shown", is_promoted=True)
    client.force_login(editor)

    page = client.get(url("editor_article", article.pk, "en")).content.decode()
    assert "Featured on the Help Center home page." in page
    assert 'name="promoted" value="no"' in page
    assert ">Featured</span>" in client.get(url("editor_articles")).content.decode()


def test_only_published_articles_written_in_the_language_are_featured(section):  # noqa: F811
    add_article(section, "both", is_promoted=True)
    add_article(section, "french-only", languages=("fr",), is_promoted=True)
    add_article(section, "hidden", is_promoted=True, is_published=False)
    add_article(section, "plain")

    assert [link.title for link in selectors.promoted_articles("fr")] == ["both (fr)", "french-only (fr)"]
    assert [link.title for link in selectors.promoted_articles("en")] == ["both (en)"]


def test_the_popular_list_puts_the_most_helpful_first(client, section):  # noqa: F811
    add_article(section, "quiet")
    helpful = add_article(section, "helpful")
    for n in range(3):
        ArticleVote.objects.create(article=helpful, language="en", voter=f"user:{n}", helpful=True)

    html = client.get("/en/").content.decode()

    assert titles_in(html, "popular-title")[:2] == ["helpful (en)", "quiet (en)"]


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT])
def test_only_an_editor_may_feature_an_article(client, section, role):  # noqa: F811
    article = add_article(section, "guarded")
    person = User.objects.create_user("someone@example.com", password="pw", name="Someone", role=role)
    client.force_login(person)

    response = client.post(url("editor_article_promote", article.pk, "en"), {"promoted": "yes"})

    assert response.status_code == 403
    article.refresh_from_db()
    assert not article.is_promoted


def test_featuring_needs_a_post(client, editor, section):  # noqa: F811
    article = add_article(section, "get")
    client.force_login(editor)

    assert client.get(url("editor_article_promote", article.pk, "en") + "?promoted=yes").status_code == 405
    article.refresh_from_db()
    assert not article.is_promoted


def test_the_featured_and_popular_lists_cost_one_query_each_whatever_their_length(
    section,  # noqa: F811
    django_assert_num_queries,
):
    one = add_article(section, "one", is_promoted=True)
    add_article(section, "popular")
    with django_assert_num_queries(1):
        assert len(selectors.promoted_articles("en")) == 1
    with django_assert_num_queries(1):
        assert [hit.title for hit in popular_articles("en", 5, exclude=[one.pk])] == ["popular (en)"]
    for n in range(7):
        add_article(section, f"more-{n}", is_promoted=True)
    with django_assert_num_queries(1):
        assert len(selectors.promoted_articles("en")) == selectors.PROMOTED
    with django_assert_num_queries(1):
        assert len(popular_articles("en", 5)) == 5


def test_the_home_page_runs_the_same_queries_for_one_featured_article_and_six(client, section):  # noqa: F811
    add_article(section, "one", is_promoted=True)
    add_article(section, "popular")
    # The header's own reads (branding, the signed-in person) belong to every page: compared, not counted here.
    with CaptureQueriesContext(connection) as one:
        first = client.get("/en/").content.decode()
    for n in range(5):
        add_article(section, f"more-{n}", is_promoted=True)
    with CaptureQueriesContext(connection) as six:
        many = client.get("/en/").content.decode()
    assert len(titles_in(first, "featured-title")) == 1
    assert len(titles_in(many, "featured-title")) == 6
    assert len(six) == len(one)
    featured_reads = [q for q in six.captured_queries if '"is_promoted"' in q["sql"].partition("WHERE")[2]]
    assert len(featured_reads) == 1
