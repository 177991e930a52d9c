from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from comptoir.helpcenter import selectors
from comptoir.helpcenter.models import SectionTranslation
from comptoir.helpcenter.rendering import split_at_headings


def _language() -> str:
    return translation.get_language() or "fr"


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    sections = selectors.sections_with_articles(_language())
    return render(request, "helpcenter/home.html", {"sections": sections})


@require_GET
def section_detail(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    sections = selectors.sections_with_articles(_language(), section_pk=pk)
    if not sections:
        raise Http404
    section = sections[0]
    if slug != section.slug:
        return redirect("section_detail", pk=pk, slug=section.slug, permanent=True)
    return render(request, "helpcenter/section.html", {"section": section})


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
    section = SectionTranslation.objects.filter(section_id=article.article.section_id, language=language).first()
    context = {
        "article": article,
        "section": section,
        "parts": [(part, part.startswith("<h2")) for part in split_at_headings(article.body_html)],
        "back_to_top": _("Back to the top of the article"),
    }
    return render(request, "helpcenter/article.html", context)
