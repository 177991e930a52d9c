"""The article editor, for editors' programs: create an article, read and write a language, hide it.

POST /api/v1/helpcenter/articles/ creates (GET stays the public list);
/api/v1/helpcenter/articles/{id}/translations/{language}/ reads the newest text
(draft or live) and writes one; .../unpublish/ hides the article in every language.

The editor's own services write (comptoir.editor.services): a draft appends a
revision and leaves what readers see alone; publishing makes the text live,
rendered, sanitised and indexed, exactly as the editor's Publish button does.
Who may is the editor's rule too (comptoir.editor.access): administrators, and
agents given the permission; anyone else gets a 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from comptoir.api import helpcenter_views
from comptoir.api.permissions import TokenScope
from comptoir.api.tool_serializers import (
    ArticleCreateSerializer,
    ArticleRevisionSerializer,
    ArticleStateSerializer,
    ArticleTranslationWriteSerializer,
)
from comptoir.api.views import ApiView, one_by_id, one_or_404
from comptoir.editor import services
from comptoir.editor.access import can_edit_articles
from comptoir.editor.selectors import newest_text_revision
from comptoir.helpcenter.models import Article, Section


class EditsArticles(TokenScope):
    """The Help Center's editors; everyone else signed in gets 403, whatever article they name."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not can_edit_articles(request.user):
            raise exceptions.PermissionDenied(gettext("Only the Help Center's editors may write articles."))
        return True


LANGUAGE_PARAMETER = OpenApiParameter(
    "language",
    str,
    OpenApiParameter.PATH,
    enum=[code for code, _name in settings.LANGUAGES],
    description="The language of the text.",
)


def _revision_response(request: Request, revision: Any, **kwargs: Any) -> Response:
    return Response(ArticleRevisionSerializer(revision, context={"request": request}).data, **kwargs)


class ArticlesView(helpcenter_views.ArticlesView):
    """The public list for GET; creating is the editors'."""

    def get_permissions(self) -> Sequence[Any]:
        if self.request.method == "POST":
            return [EditsArticles()]
        return super().get_permissions()

    @extend_schema(
        operation_id="helpcenter_articles_create",
        request=ArticleCreateSerializer,
        responses={201: ArticleRevisionSerializer},
        summary="Create an article (editors)",
        description=(
            "As the editor's New article page: in a section, with its first text in one language, hidden"
            " from the Help Center until it is published (`published` true publishes it at once). The"
            " response is that first revision; its `article` is the new article's id."
        ),
    )
    def post(self, request: Request) -> Response:
        incoming = ArticleCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        section = one_by_id(Section.objects.all(), data["section"])
        if section is None:
            raise exceptions.ValidationError({"section": [gettext("No section has this id.")]}, code="invalid")
        with transaction.atomic():
            article = services.article_create(
                section=section,
                language=data["language"],
                title=data["title"],
                summary=data["summary"],
                body_markdown=data["body_markdown"],
                author=self.caller(),
            )
            revision = (
                services.article_publish(
                    article=article,
                    language=data["language"],
                    title=data["title"],
                    summary=data["summary"],
                    body_markdown=data["body_markdown"],
                    author=self.caller(),
                )
                if data["published"]
                else newest_text_revision(article, data["language"])
            )
        return _revision_response(request, revision, status=status.HTTP_201_CREATED)


class ArticleTranslationView(ApiView):
    permission_classes: Sequence[type[BasePermission]] = (EditsArticles,)

    @extend_schema(
        operation_id="helpcenter_articles_translation_retrieve",
        responses=ArticleRevisionSerializer,
        parameters=[LANGUAGE_PARAMETER],
        summary="Read an article's newest text in one language (editors)",
        description=(
            "What the editor opens: the newest draft when one waits, else the live text; `published` tells"
            " which. 404 when the article has no text in this language."
        ),
    )
    def get(self, request: Request, article_id: int, language: str) -> Response:
        article = one_or_404(Article.objects.all(), article_id)
        revision = newest_text_revision(article, language) if language in dict(settings.LANGUAGES) else None
        if revision is None:
            raise exceptions.NotFound
        return _revision_response(request, revision)

    @extend_schema(
        operation_id="helpcenter_articles_translation_write",
        request=ArticleTranslationWriteSerializer,
        responses=ArticleRevisionSerializer,
        parameters=[LANGUAGE_PARAMETER],
        summary="Write an article in one language (editors)",
        description=(
            "As the workspace's article editor: a draft (`published` false), or the text readers see"
            " (`published` true, which also shows the article in the Help Center). The language may be new."
        ),
    )
    def put(self, request: Request, article_id: int, language: str) -> Response:
        article = one_or_404(Article.objects.all(), article_id)
        if language not in dict(settings.LANGUAGES):
            raise exceptions.NotFound
        incoming = ArticleTranslationWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        write = services.article_publish if data["published"] else services.article_draft_save
        revision = write(
            article=article,
            language=language,
            title=data["title"],
            summary=data["summary"],
            body_markdown=data["body_markdown"],
            author=self.caller(),
        )
        return _revision_response(request, revision)


class ArticleUnpublishView(ApiView):
    permission_classes: Sequence[type[BasePermission]] = (EditsArticles,)

    @extend_schema(
        operation_id="helpcenter_articles_unpublish",
        request=None,
        responses=ArticleStateSerializer,
        summary="Hide an article from the Help Center (editors)",
        description=(
            "As the editor's Unpublish: in every language, texts and drafts kept; publishing a language"
            " again shows it. Hiding a hidden article changes nothing."
        ),
    )
    def post(self, request: Request, article_id: int) -> Response:
        article = one_or_404(Article.objects.all(), article_id)
        if article.is_published:
            services.article_unpublish(article=article, author=self.caller())
            article.refresh_from_db()
        return Response(ArticleStateSerializer(article).data)
