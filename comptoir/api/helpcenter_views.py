"""The Help Center's categories, sections and articles, read as its pages show them: published, in one language.

Public on the web, so public here: no token needed (one sent must be live).
The language is the caller's (Accept-Language, else their profile's, else the
site's), as the Help Center's pages pick it; an article with no translation in
it is not listed. Editors write articles through comptoir.api.editor_views.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from comptoir.api.pagination import Pages
from comptoir.api.permissions import TokenScope
from comptoir.api.serializers import (
    ArticleDetailSerializer,
    ArticlePageSerializer,
    ArticleSummarySerializer,
    HelpCenterGroupPageSerializer,
    HelpCenterGroupSerializer,
    HelpCenterQuerySerializer,
    HelpCenterSectionPageSerializer,
    HelpCenterSectionSerializer,
)
from comptoir.api.views import MAX_ID, ApiView, checked_query
from comptoir.helpcenter.models import ArticleTranslation, CategoryTranslation, SectionTranslation


class ReadsHelpCenter(TokenScope):
    """Anyone, signed in or not: what the Help Center's pages show everybody."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return not request.user.is_authenticated or super().has_permission(request, view)


class HelpCenterView(ApiView):
    permission_classes: Sequence[type[BasePermission]] = (ReadsHelpCenter,)

    def language(self) -> str:
        language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
        return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    def page(self, rows: QuerySet[Any], serializer: Any) -> Response:
        params = checked_query(HelpCenterQuerySerializer, self.request)
        pages = Pages(ordering=("position", "group_id"), limit=params["limit"], position="number")
        page: list[Any] = pages.paginate_queryset(rows, self.request, view=self) or []
        return pages.get_paginated_response(serializer(page, many=True, context={"request": self.request}).data)


def _articles(language: str) -> QuerySet[ArticleTranslation]:
    return ArticleTranslation.objects.filter(language=language, article__is_published=True).annotate(
        group_id=F("article_id"), position=F("article__position"), section_ref=F("article__section_id")
    )


class CategoriesView(HelpCenterView):
    @extend_schema(
        operation_id="helpcenter_categories_list",
        parameters=[HelpCenterQuerySerializer],
        responses=HelpCenterGroupPageSerializer,
        summary="List the Help Center's categories",
        description="In the Help Center's order, in the caller's language. No token needed.",
    )
    def get(self, request: Request) -> Response:
        rows = CategoryTranslation.objects.filter(language=self.language()).annotate(
            group_id=F("category_id"), position=F("category__position")
        )
        return self.page(rows, HelpCenterGroupSerializer)


class SectionsView(HelpCenterView):
    @extend_schema(
        operation_id="helpcenter_sections_list",
        parameters=[HelpCenterQuerySerializer],
        responses=HelpCenterSectionPageSerializer,
        summary="List the Help Center's sections",
        description="In the Help Center's order, in the caller's language; `category` narrows. No token needed.",
    )
    def get(self, request: Request) -> Response:
        params = checked_query(HelpCenterQuerySerializer, request)
        rows = SectionTranslation.objects.filter(language=self.language()).annotate(
            group_id=F("section_id"), position=F("section__position"), category_ref=F("section__category_id")
        )
        if "category" in params:
            rows = rows.filter(section__category_id=params["category"])
        return self.page(rows, HelpCenterSectionSerializer)


class ArticlesView(HelpCenterView):
    @extend_schema(
        operation_id="helpcenter_articles_list",
        parameters=[HelpCenterQuerySerializer],
        responses=ArticlePageSerializer,
        summary="List the Help Center's published articles",
        description="In the Help Center's order, in the caller's language; `section` narrows. No token needed.",
    )
    def get(self, request: Request) -> Response:
        params = checked_query(HelpCenterQuerySerializer, request)
        rows = _articles(self.language())
        if "section" in params:
            rows = rows.filter(article__section_id=params["section"])
        return self.page(rows, ArticleSummarySerializer)


class ArticleView(HelpCenterView):
    @extend_schema(
        operation_id="helpcenter_articles_retrieve",
        responses=ArticleDetailSerializer,
        summary="Read a published article",
        description="In the caller's language: 404 when it has no translation in it, or is not published.",
    )
    def get(self, request: Request, article_id: int) -> Response:
        article = _articles(self.language()).filter(article_id=article_id).first() if article_id < MAX_ID else None
        if article is None:
            raise exceptions.NotFound
        return Response(ArticleDetailSerializer(article, context={"request": request}).data)
