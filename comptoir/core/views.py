from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from comptoir.core import captcha


@require_GET
@never_cache
def altcha_challenge(request: HttpRequest) -> JsonResponse:
    return JsonResponse(captcha.new_challenge())


def too_many_requests(request: HttpRequest) -> HttpResponse:
    response = render(request, "429.html", status=429)
    response.headers["Retry-After"] = "3600"
    return response


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
