"""Reads for the deflection report; each runs one query whatever the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from comptoir.deflection.models import DeflectionEvent, EventKind
from comptoir.helpcenter.models import ArticleTranslation

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
REPORT_ROWS = 20


@dataclass(frozen=True)
class Totals:
    suggestions_shown: int
    opened: int
    abandoned: int
    tickets_after_open: int


def _count(kind: EventKind) -> Count:
    return Count("pk", filter=Q(kind=kind))


def totals(since: datetime) -> Totals:
    row = DeflectionEvent.objects.filter(created_at__gte=since).aggregate(
        suggestions_shown=_count(EventKind.SUGGESTIONS_SHOWN),
        opened=_count(EventKind.OPENED),
        abandoned=_count(EventKind.ABANDONED),
        tickets_after_open=_count(EventKind.TICKET_AFTER_OPEN),
    )
    return Totals(**row)


def missing_articles(since: datetime, limit: int = REPORT_ROWS) -> list[dict[str, Any]]:
    """The searches and subjects that found no article, most frequent first: the articles to write next."""
    rows = (
        DeflectionEvent.objects.filter(created_at__gte=since, kind__in=(EventKind.SEARCH, EventKind.NO_SUGGESTION))
        .exclude(query="")
        .values("query", "language")
        .annotate(searches=_count(EventKind.SEARCH), subjects=_count(EventKind.NO_SUGGESTION), total=Count("pk"))
        .order_by("-total", "query", "language")[:limit]
    )
    return list(rows)


def answering_articles(since: datetime, language: str, limit: int = REPORT_ROWS) -> list[dict[str, Any]]:
    """Articles opened from the ticket form, those that ended the request first.

    The title and slug come in the report's language, else in any language the article has.
    """
    translations = ArticleTranslation.objects.filter(article_id=OuterRef("article_id"))
    in_language = translations.filter(language=language)
    any_language = translations.order_by("language")
    rows = (
        DeflectionEvent.objects.filter(
            created_at__gte=since,
            article__isnull=False,
            kind__in=(EventKind.OPENED, EventKind.ABANDONED, EventKind.TICKET_AFTER_OPEN),
        )
        .values("article_id")
        .annotate(
            opened=_count(EventKind.OPENED),
            abandoned=_count(EventKind.ABANDONED),
            tickets=_count(EventKind.TICKET_AFTER_OPEN),
            title=Coalesce(Subquery(in_language.values("title")[:1]), Subquery(any_language.values("title")[:1])),
            slug=Coalesce(Subquery(in_language.values("slug")[:1]), Subquery(any_language.values("slug")[:1])),
        )
        .order_by("-abandoned", "-opened", "article_id")[:limit]
    )
    return list(rows)
