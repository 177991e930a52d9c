"""What the Help Center's search page shows, beyond the search itself.

- Each result says where it lives (category, then section), so a reader tells apart two
  articles with the same title.
- Nothing found in the reader's language: the other language is searched, and its
  articles offered, marked as written in that language.
- Nothing typed: the most read articles of the last 30 days (the home page's list),
  so the page is never blank.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import escape

from comptoir.helpcenter.models import ArticleDailyViews, ArticleTranslation, CategoryTranslation, SectionTranslation
from comptoir.helpcenter.search import SearchHit, search, search_terms

POPULAR = 8
# "Most read" looks back this many days, today included.
POPULAR_DAYS = 30


@dataclass(frozen=True)
class Place:
    section_pk: int
    section_slug: str
    section_title: str
    category_pk: int | None
    category_slug: str | None
    category_title: str | None


@dataclass(frozen=True)
class Result:
    hit: SearchHit
    place: Place | None


@dataclass(frozen=True)
class SearchPage:
    query: str
    results: list[Result] = field(default_factory=list)
    # The query with its typos corrected, when the results are that query's ("" otherwise).
    corrected: str = ""
    # The language the results are written in when none was found in the reader's ("" otherwise).
    elsewhere: str = ""
    # Nothing typed: the articles read most lately.
    popular: list[Result] = field(default_factory=list)

    @property
    def found_in_language(self) -> bool:
        return bool(self.results) and not self.elsewhere


def search_page(query: str, language: str) -> SearchPage:
    """Search in the reader's language, then in the other ones; the popular articles for an empty query."""
    if not search_terms(query):
        return SearchPage(query=query, popular=_with_places(popular_articles(language), language))
    outcome = search(query, language)
    if outcome.hits:
        return SearchPage(query=query, results=_with_places(outcome.hits, language), corrected=outcome.corrected)
    for other, _name in settings.LANGUAGES:
        if other == language:
            continue
        outcome = search(query, other)
        if outcome.hits:
            return SearchPage(
                query=query, results=_with_places(outcome.hits, other), corrected=outcome.corrected, elsewhere=other
            )
    return SearchPage(query=query)


def popular_articles(language: str, limit: int = POPULAR, *, exclude: Collection[int] = ()) -> list[SearchHit]:
    """Published articles in the language, the most read over the last POPULAR_DAYS first (one query).

    Counted readers (comptoir.helpcenter.reads) decide; among articles read as often (a new Help
    Center's, none read yet), the most "helpful" votes, then the latest updated come first, so that
    the list is never empty while there are articles.
    ``exclude``: articles (by id) already shown elsewhere on the page, such as the home page's featured ones.
    """
    since = timezone.localdate() - timedelta(days=POPULAR_DAYS - 1)
    views = (
        ArticleDailyViews.objects.filter(article_id=OuterRef("article_id"), day__gte=since)
        .order_by()
        .values("article_id")
        .annotate(total=Sum("views"))
        .values("total")
    )
    rows = (
        ArticleTranslation.objects.filter(language=language, article__is_published=True)
        .exclude(article_id__in=exclude)
        .annotate(
            reads=Coalesce(Subquery(views), 0),
            helpful=Count("article__votes", filter=Q(article__votes__helpful=True)),
        )
        .order_by("-reads", "-helpful", "-updated_at", "pk")
        .values_list("article_id", "slug", "title", "summary", "article__section_id", "reads")[:limit]
    )
    return [
        SearchHit(
            pk=pk,
            slug=slug,
            title=title,
            summary=summary,
            excerpt_html=escape(summary),
            rank=reads,
            section_pk=section_pk,
            language=language,
        )
        for pk, slug, title, summary, section_pk, reads in rows
    ]


def places(section_pks: Sequence[int], language: str) -> dict[int, Place]:
    """Each section's title and its category's in the language, by section (one query)."""
    category = CategoryTranslation.objects.filter(category_id=OuterRef("section__category_id"), language=language)
    rows = (
        SectionTranslation.objects.filter(section_id__in=set(section_pks), language=language)
        .annotate(
            category_slug=Subquery(category.values("slug")[:1]), category_title=Subquery(category.values("title")[:1])
        )
        .values_list("section_id", "slug", "title", "section__category_id", "category_slug", "category_title")
    )
    # A category without a translation in the language is left out of the place, as the home page leaves it out.
    return {
        section_pk: Place(
            section_pk, slug, title, category_pk if category_title else None, category_slug, category_title
        )
        for section_pk, slug, title, category_pk, category_slug, category_title in rows
    }


def _with_places(hits: list[SearchHit], language: str) -> list[Result]:
    if not hits:
        return []
    found = places([hit.section_pk for hit in hits if hit.section_pk is not None], language)
    return [Result(hit, found.get(hit.section_pk) if hit.section_pk is not None else None) for hit in hits]
