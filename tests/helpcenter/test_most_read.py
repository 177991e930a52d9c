"""The Help Center's "Most read articles" (issue 22): readers counted once a day per article, agents and
robots not at all, one upsert per counted read, and the home and the empty search listing the most read.

Run on PostgreSQL too (the upsert): DATABASE_URL=postgres://... pytest --create-db tests/helpcenter/test_most_read.py
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from comptoir.accounts.models import Role, User
from comptoir.helpcenter import reads
from comptoir.helpcenter.models import Article, ArticleDailyViews, ArticleTranslation, ArticleVote
from comptoir.helpcenter.search_page import POPULAR_DAYS, popular_articles
from comptoir.helpcenter.services import article_view_count
from tests.editor.conftest import editor, section  # noqa: F401
from tests.helpcenter.test_home_promoted import add_article, titles_in
from tests.helpcenter.test_pages import article_url, demo, open_ticket_article  # noqa: F401

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def reader() -> Client:
    return Client(HTTP_USER_AGENT=BROWSER)


def page_of(article: Article, language: str = "en") -> str:
    return article_url(ArticleTranslation.objects.get(article=article, language=language))


def views_of(article: Article) -> int:
    return sum(ArticleDailyViews.objects.filter(article=article).values_list("views", flat=True))


def read_on(article: Article, days_ago: int, views: int) -> None:
    ArticleDailyViews.objects.create(article=article, day=timezone.localdate() - timedelta(days=days_ago), views=views)


# --- Who is counted, and how often ----------------------------------------------------------


def test_a_reader_is_counted_once_a_day_per_article(section):  # noqa: F811
    first, second = add_article(section, "first"), add_article(section, "second")
    claire = reader()

    for _ in range(3):
        assert claire.get(page_of(first)).status_code == 200
    claire.get(page_of(first, "fr"))  # the same article in the other language is the same read
    claire.get(page_of(second))

    assert views_of(first) == 1
    assert views_of(second) == 1
    row = ArticleDailyViews.objects.get(article=first)
    assert row.day == timezone.localdate()


def test_each_reader_counts_and_the_same_reader_counts_again_the_next_day(section):  # noqa: F811
    article = add_article(section, "read")
    reader().get(page_of(article))
    reader().get(page_of(article))
    assert views_of(article) == 2

    # Yesterday's cookie, signed as the site signs it: it lists the article, but for another day.
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    signed = HttpResponse()
    signed.set_signed_cookie(reads.COOKIE, f"{yesterday}:{article.pk}", salt=reads._SALT)
    returning = reader()
    returning.cookies[reads.COOKIE] = signed.cookies[reads.COOKIE].value
    returning.get(page_of(article))
    returning.get(page_of(article))

    assert views_of(article) == 3


def test_a_forged_cookie_is_ignored_rather_than_believed(section):  # noqa: F811
    article = add_article(section, "forged")
    forger = reader()
    forger.cookies[reads.COOKIE] = f"{timezone.localdate().isoformat()}:{article.pk}"

    forger.get(page_of(article))

    assert views_of(article) == 1


def test_the_cookie_holds_only_the_day_and_article_ids_and_stays_out_of_scripts(section):  # noqa: F811
    article = add_article(section, "cookie")

    response = reader().get(page_of(article))

    cookie = response.cookies[reads.COOKIE]
    assert cookie.value.split(":", 1)[0] == timezone.localdate().isoformat()
    assert cookie.value.split(":")[1] == str(article.pk)
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert "sessionid" not in response.cookies  # reading creates no session


@pytest.mark.parametrize(
    "user_agent",
    [
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0)",
        "SomeCrawler/1.0",
        "Mozilla/5.0 (Macintosh) Link Preview",
    ],
)
def test_robots_are_not_counted(section, user_agent):  # noqa: F811
    article = add_article(section, "robots")

    assert Client(HTTP_USER_AGENT=user_agent).get(page_of(article)).status_code == 200

    assert views_of(article) == 0


def test_a_head_request_is_not_counted(section):  # noqa: F811
    article = add_article(section, "head")

    reader().head(page_of(article))

    assert views_of(article) == 0


@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMIN])
def test_agents_are_not_counted_and_a_signed_in_customer_is(section, role):  # noqa: F811
    article = add_article(section, "staff")
    agent = User.objects.create_user("agent@example.com", password="pw", name="Agent", role=role)
    customer = User.objects.create_user("claire@example.com", password="pw", name="Claire")
    as_agent, as_customer = reader(), reader()
    as_agent.force_login(agent)
    as_customer.force_login(customer)

    as_agent.get(page_of(article))
    assert views_of(article) == 0
    as_customer.get(page_of(article))
    assert views_of(article) == 1


def test_editors_are_not_counted(section, editor):  # noqa: F811
    article = add_article(section, "edited")
    as_editor = reader()
    as_editor.force_login(editor)

    assert as_editor.get(page_of(article)).status_code == 200

    assert views_of(article) == 0


def test_an_unpublished_article_is_not_counted(section):  # noqa: F811
    article = add_article(section, "draft", is_published=False)

    assert reader().get(page_of(article)).status_code == 404

    assert not ArticleDailyViews.objects.exists()


# --- The upsert ---------------------------------------------------------------------------------


def test_the_count_is_one_upsert_that_adds_to_the_days_row(section, django_assert_num_queries):  # noqa: F811
    article = add_article(section, "upsert")
    today = timezone.localdate()

    with django_assert_num_queries(1):
        article_view_count(article_pk=article.pk, day=today)
    with django_assert_num_queries(1):
        article_view_count(article_pk=article.pk, day=today)
    article_view_count(article_pk=article.pk, day=today - timedelta(days=1))

    assert dict(ArticleDailyViews.objects.filter(article=article).values_list("day", "views")) == {
        today: 2,
        today - timedelta(days=1): 1,
    }


def test_a_deleted_article_counts_nothing_and_breaks_nothing(section):  # noqa: F811
    article = add_article(section, "gone")
    pk = article.pk
    article.delete()

    article_view_count(article_pk=pk, day=timezone.localdate())

    assert not ArticleDailyViews.objects.exists()


def test_a_counted_read_costs_the_article_page_one_query_and_a_second_read_none(
    client,
    demo,  # noqa: F811
    django_assert_num_queries,
):
    article = open_ticket_article()
    claire = reader()
    # 1 the translation with its article and section, 2 the section's and 3 the category's translations for the
    # breadcrumb, 4 the related articles, + 1 the reader's count (comptoir.helpcenter.reads).
    with django_assert_num_queries(4 + 1):
        assert claire.get(article_url(article)).status_code == 200
    # The cookie says this reader was counted today: no write.
    with django_assert_num_queries(4):
        assert claire.get(article_url(article)).status_code == 200
    assert views_of(article.article) == 1


# --- The lists ----------------------------------------------------------------------------------


def test_the_most_read_come_first_over_the_last_30_days(section):  # noqa: F811
    quiet = add_article(section, "quiet")
    read = add_article(section, "read")
    most = add_article(section, "most")
    once_famous = add_article(section, "once-famous")
    read_on(most, 0, 5)
    read_on(most, POPULAR_DAYS - 1, 4)  # the window's first day counts
    read_on(read, 3, 6)
    read_on(once_famous, POPULAR_DAYS, 100)  # a day too old
    read_on(once_famous, 1, 1)
    # Votes only break ties: the unread article with votes stays behind the read ones.
    ArticleVote.objects.create(article=quiet, language="en", voter="user:1", helpful=True)

    titles = [hit.title for hit in popular_articles("en")]

    assert titles == ["most (en)", "read (en)", "once-famous (en)", "quiet (en)"]
    assert [hit.rank for hit in popular_articles("en")] == [9, 6, 1, 0]


def test_articles_read_as_often_are_ordered_by_helpful_votes(section):  # noqa: F811
    plain = add_article(section, "plain")
    liked = add_article(section, "liked")
    read_on(plain, 0, 2)
    read_on(liked, 0, 2)
    ArticleVote.objects.create(article=liked, language="en", voter="user:1", helpful=True)

    assert [hit.title for hit in popular_articles("en")] == ["liked (en)", "plain (en)"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_home_page_shows_the_most_read_beside_the_featured(client, section, language):  # noqa: F811
    featured = add_article(section, "featured", is_promoted=True)
    second = add_article(section, "second")
    first = add_article(section, "first")
    read_on(featured, 0, 50)  # featured already: not repeated in the list
    read_on(first, 0, 3)
    read_on(second, 0, 2)

    html = client.get(f"/{language}/").content.decode()

    assert titles_in(html, "featured-title") == [f"featured ({language})"]
    assert titles_in(html, "popular-title") == [f"first ({language})", f"second ({language})"]
    if language == "en":  # the French words come with the catalogue (comptoir/locale)
        assert html.split('id="popular-title">')[1].startswith("Most read articles</h2>")


def test_the_empty_search_lists_the_most_read(client, section, django_assert_num_queries):  # noqa: F811
    later = add_article(section, "later")
    first = add_article(section, "first")
    read_on(first, 2, 7)
    read_on(later, 0, 1)

    # 1 the articles with their reads and votes counted, 2 their sections and categories.
    with django_assert_num_queries(2):
        html = client.get("/en/search/").content.decode()

    assert 0 < html.index("Most read articles") < html.index("first (en)") < html.index("later (en)")


def test_the_list_costs_one_query_however_many_days_were_counted(section, django_assert_num_queries):  # noqa: F811
    articles = [add_article(section, f"a-{n}") for n in range(3)]
    with django_assert_num_queries(1):
        assert len(popular_articles("en")) == 3
    for days_ago in range(10):
        for article in articles:
            read_on(article, days_ago, days_ago + article.pk)
    with django_assert_num_queries(1):
        assert len(popular_articles("en")) == 3
