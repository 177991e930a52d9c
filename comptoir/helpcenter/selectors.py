"""Reads for the Help Center pages, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q

from comptoir.helpcenter.models import (
    Article,
    ArticleTranslation,
    ArticleVote,
    CategoryTranslation,
    Section,
    SectionTranslation,
)

# The side list of an article's section: this many of its articles, read among the first SECTION_ARTICLES_READ.
SECTION_ARTICLES = 10
SECTION_ARTICLES_READ = 200
# The home page's "Featured articles": editors choose them, the page shows at most this many.
PROMOTED = 6


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
    category_pk: int | None
    articles: list[ArticleLink]


@dataclass(frozen=True)
class CategoryView:
    pk: int
    slug: str
    title: str
    description: str
    sections: list[SectionView]


def _article_links(articles: list[Article], language: str) -> list[ArticleLink]:
    links = []
    for article in articles:
        translation = next((t for t in article.translations.all() if t.language == language), None)
        if translation is not None:
            links.append(ArticleLink(article.pk, translation.slug, translation.title, translation.summary))
    return links


def sections_with_articles(
    language: str, *, section_pk: int | None = None, category_pk: int | None = None
) -> list[SectionView]:
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
    if category_pk is not None:
        sections = sections.filter(category_id=category_pk)
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
                category_pk=section.category_id,
                articles=_article_links(list(section.articles.all()), language),
            )
        )
    return views


def categories_with_sections(language: str) -> tuple[list[CategoryView], list[SectionView]]:
    """The home page: categories in the language with their sections, then the sections in no category.

    Five queries: the four of sections_with_articles, then the category translations.
    A category without a translation in the language is left out, and so are its sections,
    as a section without a translation is.
    """
    sections = sections_with_articles(language)
    by_category: dict[int | None, list[SectionView]] = {}
    for section in sections:
        by_category.setdefault(section.category_pk, []).append(section)
    translations = (
        CategoryTranslation.objects.filter(language=language)
        .select_related("category")
        .order_by("category__position", "category_id")
    )
    categories = [
        CategoryView(t.category_id, t.slug, t.title, t.description, by_category.get(t.category_id, []))
        for t in translations
    ]
    return [c for c in categories if c.sections], by_category.get(None, [])


def promoted_articles(language: str, limit: int = PROMOTED) -> list[ArticleLink]:
    """The published articles editors promoted, in the language, in the Help Center's order (one query).

    An article promoted but not written in the language is left out, as the home page's lists leave it out.
    """
    rows = (
        ArticleTranslation.objects.filter(language=language, article__is_published=True, article__is_promoted=True)
        .order_by("article__section__position", "article__section_id", "article__position", "article_id")
        .only("article_id", "slug", "title", "summary")[:limit]
    )
    return [ArticleLink(row.article_id, row.slug, row.title, row.summary) for row in rows]


def category_translation(pk: int, language: str) -> CategoryTranslation | None:
    return CategoryTranslation.objects.filter(category_id=pk, language=language).first()


def section_category(section: SectionView, language: str) -> CategoryTranslation | None:
    """The breadcrumb's category for a section page (no query for a section in no category)."""
    if section.category_pk is None:
        return None
    return category_translation(section.category_pk, language)


def article_breadcrumb(
    article: ArticleTranslation,
) -> tuple[SectionTranslation | None, CategoryTranslation | None]:
    """The article's section and category in its language: two queries, one when the section has no category."""
    section = (
        SectionTranslation.objects.select_related("section")
        .filter(section_id=article.article.section_id, language=article.language)
        .first()
    )
    category_pk = article.article.section.category_id
    category = category_translation(category_pk, article.language) if category_pk is not None else None
    return section, category


def section_articles(article: ArticleTranslation) -> tuple[list[ArticleLink], bool]:
    """The section's published articles in the article's language, in their order, the article among them.

    At most SECTION_ARTICLES, the article among them with its neighbours when the section is long (if it is
    among the first SECTION_ARTICLES_READ); the flag says whether the section holds more. One query.
    """
    rows = list(
        ArticleTranslation.objects.filter(
            language=article.language, article__section_id=article.article.section_id, article__is_published=True
        )
        .order_by("article__position", "article_id")
        .only("article_id", "slug", "title", "summary")[:SECTION_ARTICLES_READ]
    )
    links = [ArticleLink(row.article_id, row.slug, row.title, row.summary) for row in rows]
    here = next((n for n, link in enumerate(links) if link.pk == article.article_id), 0)
    start = max(0, min(here - SECTION_ARTICLES // 2, len(links) - SECTION_ARTICLES))
    return links[start : start + SECTION_ARTICLES], len(links) > SECTION_ARTICLES


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
