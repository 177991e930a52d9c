"""Reads for the Help Center pages, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q

from comptoir.helpcenter.models import Article, ArticleTranslation, ArticleVote, Section, SectionTranslation


@dataclass(frozen=True)
class ArticleLink:
    pk: int
    slug: str
    title: str
    summary: str


@dataclass(frozen=True)
class SectionView:
    pk: int
    slug: str
    title: str
    description: str
    icon: str
    articles: list[ArticleLink]


def _article_links(articles: list[Article], language: str) -> list[ArticleLink]:
    links = []
    for article in articles:
        translation = next((t for t in article.translations.all() if t.language == language), None)
        if translation is not None:
            links.append(ArticleLink(article.pk, translation.slug, translation.title, translation.summary))
    return links


def sections_with_articles(language: str, section_pk: int | None = None) -> list[SectionView]:
    """Sections in the language with their published articles in that language.

    Four queries: sections, section translations, articles, article translations.
    """
    sections = Section.objects.prefetch_related(
        Prefetch("translations", queryset=SectionTranslation.objects.filter(language=language)),
        Prefetch(
            "articles",
            queryset=Article.objects.filter(is_published=True).prefetch_related(
                Prefetch(
                    "translations",
                    # Lists need titles, not bodies.
                    queryset=ArticleTranslation.objects.filter(language=language).only(
                        "article_id", "language", "slug", "title", "summary"
                    ),
                )
            ),
        ),
    )
    if section_pk is not None:
        sections = sections.filter(pk=section_pk)
    views = []
    for section in sections:
        translation = next(iter(section.translations.all()), None)
        if translation is None:
            continue
        views.append(
            SectionView(
                pk=section.pk,
                slug=translation.slug,
                title=translation.title,
                description=translation.description,
                icon=section.icon,
                articles=_article_links(list(section.articles.all()), language),
            )
        )
    return views


def article_translation(pk: int, language: str) -> ArticleTranslation | None:
    return (
        ArticleTranslation.objects.select_related("article", "article__section")
        .filter(article_id=pk, article__is_published=True, language=language)
        .first()
    )


def other_languages(pk: int, language: str) -> list[ArticleTranslation]:
    return list(
        ArticleTranslation.objects.filter(article_id=pk, article__is_published=True)
        .exclude(language=language)
        .only("language", "slug", "title")
    )


@dataclass(frozen=True)
class VoteCounts:
    helpful: int
    not_helpful: int


def vote_counts(article_pk: int) -> VoteCounts:
    """Both answers in one aggregate query."""
    # Aliases must not shadow the "helpful" field the filters read.
    counts = ArticleVote.objects.filter(article_id=article_pk).aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    return VoteCounts(helpful=counts["yes"], not_helpful=counts["no"])
