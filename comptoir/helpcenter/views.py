from __future__ import annotations

import hashlib

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.helpcenter import reads, selectors, services
from comptoir.helpcenter.models import ArticleVote
from comptoir.helpcenter.rendering import split_at_headings
from comptoir.helpcenter.search_page import popular_articles
from comptoir.tickets import access

# The home page's "Most read articles" list.
POPULAR_ON_HOME = 5


def _language() -> str:
    return translation.get_language() or "fr"


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    language = _language()
    categories, other_sections = selectors.categories_with_sections(language)
    promoted = selectors.promoted_articles(language)
    # The most read articles beside the featured ones, none of them twice.
    popular = popular_articles(language, POPULAR_ON_HOME, exclude=[link.pk for link in promoted])
    context = {"categories": categories, "other_sections": other_sections, "promoted": promoted, "popular": popular}
    return render(request, "helpcenter/home.html", context)


@require_GET
def category_detail(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    language = _language()
    category = selectors.category_translation(pk, language)
    if category is None:
        raise Http404
    if slug != category.slug:
        return redirect("category_detail", pk=pk, slug=category.slug, permanent=True)
    sections = selectors.sections_with_articles(language, category_pk=pk)
    return render(request, "helpcenter/category.html", {"category": category, "sections": sections})


@require_GET
def section_detail(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    language = _language()
    sections = selectors.sections_with_articles(language, section_pk=pk)
    if not sections:
        raise Http404
    section = sections[0]
    if slug != section.slug:
        return redirect("section_detail", pk=pk, slug=section.slug, permanent=True)
    category = selectors.section_category(section, language)
    return render(request, "helpcenter/section.html", {"section": section, "category": category})


@require_GET
def article_detail(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    language = _language()
    article = selectors.article_translation(pk, language)
    if article is None:
        others = selectors.other_languages(pk, language)
        if not others:
            raise Http404
        return render(request, "helpcenter/article_missing.html", {"others": others}, status=404)
    if slug != article.slug:
        return redirect("article_detail", pk=pk, slug=article.slug, permanent=True)
    section, category = selectors.article_breadcrumb(article)
    voter = _voter(request, create=False)
    in_section, section_has_more = selectors.section_articles(article)
    context = {
        "article": article,
        "section": section,
        "category": category,
        "in_section": in_section,
        "section_has_more": section_has_more,
        "parts": [(part, part.startswith("<h2")) for part in split_at_headings(article.body_html)],
        "back_to_top": _("Back to the top of the article"),
        # Only someone who may have voted costs a query.
        "vote": ArticleVote.objects.filter(article_id=pk, voter=voter).first() if voter else None,
        "vote_counts": selectors.vote_counts(pk) if access.is_agent(request) else None,
    }
    response = render(request, "helpcenter/article.html", context)
    # After the page is made: a read is counted only for a page that was shown (one upsert, or nothing).
    reads.article_read(request, response, pk)
    return response


def _voter(request: HttpRequest, *, create: bool) -> str:
    """Who is voting: the account, else a hash of the session key ("" when there is no session yet)."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    if not request.session.session_key:
        if not create:
            return ""
        request.session.save()
    session_key = request.session.session_key or ""
    return "session:" + hashlib.sha256(session_key.encode()).hexdigest()


@require_POST
def article_vote(request: HttpRequest, pk: int) -> HttpResponse:
    language = _language()
    article = selectors.article_translation(pk, language)
    helpful = request.POST.get("helpful")
    if article is None or not article.article.is_published:
        raise Http404
    if helpful not in ("yes", "no"):
        return HttpResponseBadRequest()
    services.article_vote(
        article=article.article, voter=_voter(request, create=True), helpful=helpful == "yes", language=language
    )
    return redirect(reverse("article_detail", args=[pk, article.slug]) + "#feedback")
