"""The API's own documentation: the OpenAPI schema, the reference page that reads it, the kinds of problem."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.permissions import AllowAny

from comptoir.api.problems import KINDS, TYPE_PREFIX


class SchemaView(SpectacularJSONAPIView):
    """The OpenAPI 3 schema, as JSON, for anyone: it describes the API, it opens nothing."""

    authentication_classes = ()
    permission_classes = (AllowAny,)


@require_GET
def reference(request: HttpRequest) -> HttpResponse:
    """Swagger UI, served from our static files (comptoir/static/vendor/swagger-ui), reading the schema."""
    return render(request, "api/docs.html")


@require_GET
def problem_type(request: HttpRequest, kind: str) -> HttpResponse:
    """What a problem's ``type`` address shows a person who opens it: its title and what to do."""
    if kind not in KINDS:
        raise Http404
    title, description = KINDS[kind]
    return render(request, "api/problem.html", {"type": TYPE_PREFIX + kind, "title": title, "description": description})
