from __future__ import annotations

from django.db import transaction

from comptoir.helpcenter.models import Article, ArticleTranslation, ArticleVote, Category, Section
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
