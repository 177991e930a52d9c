"""The daily read counts are forgotten once past the "Most read" window and its margin, by the periodic purge."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from comptoir.core.tasks import purge_expired_records
from comptoir.helpcenter.models import ArticleDailyViews
from comptoir.helpcenter.reads import VIEWS_KEPT_DAYS, daily_views_purge
from comptoir.helpcenter.search_page import POPULAR_DAYS, popular_articles
from tests.editor.conftest import section  # noqa: F401
from tests.helpcenter.test_home_promoted import add_article

pytestmark = pytest.mark.django_db


def test_the_margin_outlasts_the_most_read_window():
    assert VIEWS_KEPT_DAYS > POPULAR_DAYS


def test_it_forgets_the_days_older_than_kept_and_keeps_the_rest(section):  # noqa: F811
    article = add_article(section, "read")
    today = date(2026, 6, 30)
    for days_ago in (0, POPULAR_DAYS - 1, POPULAR_DAYS, VIEWS_KEPT_DAYS - 1, VIEWS_KEPT_DAYS, VIEWS_KEPT_DAYS + 200):
        ArticleDailyViews.objects.create(article=article, day=today - timedelta(days=days_ago), views=1)

    assert daily_views_purge(today=today) == 2

    kept = sorted((today - day).days for day in ArticleDailyViews.objects.values_list("day", flat=True))
    assert kept == [0, POPULAR_DAYS - 1, POPULAR_DAYS, VIEWS_KEPT_DAYS - 1]
    assert daily_views_purge(today=today) == 0


def test_the_periodic_purge_runs_it_and_the_most_read_list_is_unchanged(section):  # noqa: F811
    old, recent = add_article(section, "old"), add_article(section, "recent")
    today = timezone.localdate()
    ArticleDailyViews.objects.create(article=old, day=today - timedelta(days=VIEWS_KEPT_DAYS + 5), views=100)
    ArticleDailyViews.objects.create(article=old, day=today - timedelta(days=POPULAR_DAYS - 1), views=2)
    ArticleDailyViews.objects.create(article=recent, day=today, views=3)
    before = [(hit.title, hit.rank) for hit in popular_articles("en")]

    assert purge_expired_records()["article_daily_views"] == 1

    assert [(hit.title, hit.rank) for hit in popular_articles("en")] == before == [("recent (en)", 3), ("old (en)", 2)]
