from __future__ import annotations

from datetime import date

from django.db import transaction

from comptoir.core.counters import increment
from comptoir.helpcenter.models import Article, ArticleDailyViews, ArticleTranslation, ArticleVote, Category, Section
from comptoir.helpcenter.rendering import render_markdown
from comptoir.helpcenter.search_index import index_translation, plain_text


@transaction.atomic
def article_translation_save(
    *, article: Article, language: str, title: str, slug: str, summary: str, body_markdown: str
) -> ArticleTranslation:
    """Write one language of an article, rendering its HTML once here rather than on every view.

    The search index is updated in the same transaction, so search never lags the page.
    """
    rendered = render_markdown(body_markdown)
    translation, _ = ArticleTranslation.objects.update_or_create(
        article=article,
        language=language,
        defaults={
            "title": title,
            "slug": slug,
            "summary": summary,
            "body_markdown": body_markdown,
            "body_html": rendered.html,
            "toc": rendered.toc,
            "body_text": plain_text(rendered.html),
        },
    )
    index_translation(translation)
    return translation


def section_get_or_create(*, key: str, position: int, icon: str, category: Category | None = None) -> Section:
    section, _ = Section.objects.update_or_create(
        key=key, defaults={"position": position, "icon": icon, "category": category}
    )
    return section


def article_vote(*, article: Article, voter: str, helpful: bool, language: str) -> ArticleVote:
    """Record whether the article helped; a second answer from the same person replaces the first."""
    vote, _ = ArticleVote.objects.update_or_create(
        article=article, voter=voter, defaults={"helpful": helpful, "language": language}
    )
    return vote


def article_view_count(*, article_pk: int, day: date) -> None:
    """Add one reader to the article's count for ``day``: one statement, whether the day's row exists or not.

    An upsert rather than a read then a write (comptoir.core.counters): two readers at the same
    moment both count, and the request never holds a row (nor, on SQLite, the write lock) for longer
    than the statement. The article's existence is checked in the same statement, so a read of an
    article deleted a moment ago counts nothing instead of breaking the page.
    """
    increment(
        ArticleDailyViews,
        key=("article", "day"),
        counts=("views",),
        rows=[(article_pk, day, 1)],
        if_exists=(Article, article_pk),
    )
