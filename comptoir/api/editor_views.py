"""/api/v1/helpcenter/articles/{id}/translations/{language}/: the article editor, for editors' programs.

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
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from comptoir.api.permissions import TokenScope
from comptoir.api.tool_serializers import ArticleRevisionSerializer, ArticleTranslationWriteSerializer
from comptoir.api.views import ApiView
from comptoir.editor import services
from comptoir.editor.access import can_edit_articles
from comptoir.helpcenter.models import Article

MAX_ID = 2**62


class EditsArticles(TokenScope):
    """The Help Center's editors; everyone else signed in gets 403, whatever article they name."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not can_edit_articles(request.user):
            raise exceptions.PermissionDenied(gettext("Only the Help Center's editors may write articles."))
        return True


class ArticleTranslationView(ApiView):
    permission_classes: Sequence[type[BasePermission]] = (EditsArticles,)

    @extend_schema(
        operation_id="helpcenter_articles_translation_write",
        request=ArticleTranslationWriteSerializer,
        responses=ArticleRevisionSerializer,
        parameters=[
            OpenApiParameter(
                "language",
                str,
                OpenApiParameter.PATH,
                enum=[code for code, _name in settings.LANGUAGES],
                description="The language of the text.",
            )
        ],
        summary="Write an article in one language (editors)",
        description=(
            "As the workspace's article editor: a draft (`published` false), or the text readers see"
            " (`published` true, which also shows the article in the Help Center). The language may be new."
        ),
    )
    def put(self, request: Request, article_id: int, language: str) -> Response:
        article = Article.objects.filter(pk=article_id).first() if article_id < MAX_ID else None
        if article is None or language not in dict(settings.LANGUAGES):
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
        return Response(ArticleRevisionSerializer(revision, context={"request": request}).data)
