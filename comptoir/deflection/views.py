"""Answers before a ticket: the Help Center search, suggested articles on the ticket form, what became of
them, and the agents' deflection report."""

from __future__ import annotations

import html
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.views.decorators.http import require_GET, require_POST

from comptoir.core.ratelimit import client_ip, hit
from comptoir.deflection import selectors, services
from comptoir.deflection.models import EventKind
from comptoir.helpcenter.models import Article
from comptoir.helpcenter.search import MAX_QUERY_LENGTH, SearchHit, search_articles
from comptoir.helpcenter.search_page import search_page as search_page_for
from comptoir.workspace.access import agent_required

MIN_QUERY_LENGTH = 3
MAX_SUGGESTIONS = 5
# Events one address may record per rate-limit window, however many visit ids it draws.
MAX_EVENTS_PER_IP = 300


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    language = translation.get_language() or "fr"
    page = search_page_for(query, language)
    if query and not page.found_in_language:
        # What readers looked for in vain: the deflection report's "articles to write next".
        services.search_record(query=query, language=language)
    return render(request, "helpcenter/search.html", {"query": query, "page": page})


_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


class _TextOnlyEncoder(DjangoJSONEncoder):
    """JSON in which no "<", ">" or "&" appears: it can never be taken for markup, even sniffed."""

    def encode(self, o: object) -> str:
        return super().encode(o).translate(_JSON_ESCAPES)


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def _may_record(request: HttpRequest) -> bool:
    return hit(
        "deflection-ip",
        client_ip(request),
        limit=MAX_EVENTS_PER_IP,
        window_seconds=settings.COMPTOIR_RATE_LIMIT_WINDOW_SECONDS,
    )


def _plain_excerpt(hit: SearchHit) -> str:
    # The excerpt is escaped HTML with <mark> tags; the script shows text only.
    return html.unescape(strip_tags(hit.excerpt_html)) or hit.summary


@require_GET
def suggestions(request: HttpRequest) -> HttpResponse:
    """Up to five published articles in the page's language for the subject typed so far."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    visit = request.GET.get("visit", "")
    if not services.is_visit(visit):
        return HttpResponseBadRequest()
    if len(query) < MIN_QUERY_LENGTH:
        return JsonResponse({"articles": []})
    language = _language()
    hits = search_articles(query, language, limit=MAX_SUGGESTIONS)
    articles = [
        {
            "id": hit.pk,
            "title": hit.title,
            "url": reverse("article_detail", args=[hit.pk, hit.slug]),
            "excerpt": _plain_excerpt(hit),
        }
        for hit in hits
    ]
    if _may_record(request):
        services.subject_record(visit=visit, query=query, language=language, found=bool(hits))
    response = JsonResponse({"articles": articles}, encoder=_TextOnlyEncoder)
    response.headers["Cache-Control"] = "no-store"
    return response


@require_POST
def suggestion_event(request: HttpRequest) -> HttpResponse:
    """The script reports a suggestion opened, or the form left after opening one."""
    kinds = {EventKind.OPENED.value: EventKind.OPENED, EventKind.ABANDONED.value: EventKind.ABANDONED}
    kind = kinds.get(request.POST.get("kind", ""))
    visit = request.POST.get("visit", "")
    article_id = request.POST.get("article", "")
    if kind is None or not services.is_visit(visit) or not article_id.isdigit() or len(article_id) > 12:
        return HttpResponseBadRequest()
    article = Article.objects.filter(pk=int(article_id), is_published=True).first()
    if article is None:
        return HttpResponseBadRequest()
    if not _may_record(request):
        return HttpResponse(status=429)
    try:
        services.suggestion_event_record(visit=visit, kind=kind, article=article, language=_language())
    except services.VisitLimitReached:
        return HttpResponse(status=429)
    except services.EventRefused:
        return HttpResponseBadRequest()
    return HttpResponse(status=204)


@require_GET
@agent_required
def report(request: HttpRequest) -> HttpResponse:
    period = request.GET.get("days", "")
    days = int(period) if period.isdigit() and int(period) in selectors.PERIODS else selectors.DEFAULT_PERIOD
    since = timezone.now() - timedelta(days=days)
    context = {
        "days": days,
        "periods": selectors.PERIODS,
        "totals": selectors.totals(since),
        "missing": selectors.missing_articles(since),
        "answering": selectors.answering_articles(since, _language()),
    }
    return render(request, "deflection/report.html", context)
