"""The one counter upsert (comptoir.core.counters): rows added to by key, created the first time, in one statement.

Run on PostgreSQL too: DATABASE_URL=postgres://... pytest --create-db tests/core/test_counters.py
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comptoir.core.counters import increment
from comptoir.core.models import RateLimitCounter
from comptoir.helpcenter.models import Article, ArticleDailyViews, Section

pytestmark = pytest.mark.django_db

KEY = ("key", "window_start")


def counts() -> dict[tuple[str, datetime], int]:
    return {(row.key, row.window_start): row.count for row in RateLimitCounter.objects.all()}


def test_it_creates_missing_rows_and_adds_to_existing_ones_in_one_statement():
    start = timezone.now().replace(microsecond=0)
    RateLimitCounter.objects.create(key="a", window_start=start, count=5)

    with CaptureQueriesContext(connection) as captured:
        written = increment(
            RateLimitCounter,
            key=KEY,
            counts=("count",),
            rows=[("a", start, 2), ("b", start, 3), ("a", start + timedelta(hours=1), 1)],
        )

    assert len(captured) == 1 and "ON CONFLICT" in captured.captured_queries[0]["sql"]
    assert written == []
    assert counts() == {("a", start): 7, ("b", start): 3, ("a", start + timedelta(hours=1)): 1}


def test_it_reads_back_the_counts_after_the_addition():
    start = timezone.now().replace(microsecond=0)

    first = increment(RateLimitCounter, key=KEY, counts=("count",), rows=[("a", start, 1)], returning=("count",))
    second = increment(RateLimitCounter, key=KEY, counts=("count",), rows=[("a", start, 4)], returning=("key", "count"))

    assert first == [(1,)]
    assert second == [("a", 5)]


def test_no_rows_is_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert increment(RateLimitCounter, key=KEY, counts=("count",), rows=[]) == []


def test_a_row_of_the_wrong_length_is_refused_before_anything_is_written():
    with pytest.raises(ValueError, match="3 values"):
        increment(RateLimitCounter, key=KEY, counts=("count",), rows=[("a", timezone.now())])
    assert not RateLimitCounter.objects.exists()


def add_article() -> Article:
    section = Section.objects.create(key="counted", position=1, icon="")
    return Article.objects.create(key="counted", section=section)


def test_if_exists_writes_while_the_parent_exists_and_nothing_once_it_is_gone(django_assert_num_queries):
    article = add_article()
    day = date(2026, 3, 1)
    row = (article.pk, day, 1)

    with django_assert_num_queries(1):  # the existence check is inside the upsert
        increment(
            ArticleDailyViews, key=("article", "day"), counts=("views",), rows=[row], if_exists=(Article, article.pk)
        )
    increment(ArticleDailyViews, key=("article", "day"), counts=("views",), rows=[row], if_exists=(Article, article.pk))
    assert ArticleDailyViews.objects.get(article=article, day=day).views == 2

    pk = article.pk
    article.delete()
    written = increment(
        ArticleDailyViews,
        key=("article", "day"),
        counts=("views",),
        rows=[(pk, day, 1)],
        returning=("views",),
        if_exists=(Article, pk),
    )

    assert written == []
    assert not ArticleDailyViews.objects.exists()


def test_if_exists_takes_one_row_only():
    article = add_article()

    with pytest.raises(ValueError, match="one row"):
        increment(
            ArticleDailyViews,
            key=("article", "day"),
            counts=("views",),
            rows=[(article.pk, date(2026, 3, 1), 1), (article.pk, date(2026, 3, 2), 1)],
            if_exists=(Article, article.pk),
        )
