"""sitemap.xml and robots.txt for the Help Center.

A small explicit view rather than django.contrib.sitemaps: its i18n alternates
assume every object exists in every language, and here an article or a section
may have only one of its translations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.xmlreader import AttributesImpl

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import require_safe

from comptoir.helpcenter.models import ArticleTranslation, CategoryTranslation, SectionTranslation

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"

# Pages for people with a link or an account, not for search engines. Those
# under i18n_patterns also answer unprefixed (with a redirect), so robots.txt
# lists every form.
PRIVATE_PATHS = ("/agent/", "/admin/", "/t/", "/dev/", "/tickets/", "/surveys/")


@dataclass(frozen=True)
class Page:
    """One <url> of the sitemap: one language of the home page, a category, a section or an article."""

    location: str
    lastmod: datetime | None
    # Every language version of the page, itself included as search engines
    # expect; empty when the page exists in one language only.
    alternates: dict[str, str]


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _absolute_url(name: str, language: str, **kwargs: object) -> str:
    # COMPTOIR_BASE_URL, never the request's Host header: a forged Host must
    # not put someone else's domain in what search engines index.
    with translation.override(language):
        return settings.COMPTOIR_BASE_URL + reverse(name, kwargs=kwargs or None)


def _language_versions(urls: dict[str, str], lastmods: dict[str, datetime]) -> list[Page]:
    alternates = urls if len(urls) > 1 else {}
    return [Page(url, lastmods.get(language), alternates) for language, url in urls.items()]


def sitemap_pages() -> list[Page]:
    """Home, categories, sections and published articles in each language they exist in.

    Three queries whatever the number of articles: published article
    translations, section translations, category translations. A category, a
    section or the home page has no date of its own, so it takes that of the
    newest article it lists.
    """
    languages = _languages()

    articles: dict[int, dict[str, tuple[str, datetime]]] = {}
    newest_in_section: dict[int, dict[str, datetime]] = {}
    newest: dict[str, datetime] = {}
    article_rows = (
        ArticleTranslation.objects.filter(article__is_published=True, language__in=languages)
        .order_by("article__section__position", "article__section_id", "article__position", "article_id")
        .values_list("article_id", "article__section_id", "language", "slug", "updated_at")
    )
    for article_id, section_id, language, slug, updated_at in article_rows:
        articles.setdefault(article_id, {})[language] = (slug, updated_at)
        in_section = newest_in_section.setdefault(section_id, {})
        in_section[language] = max(updated_at, in_section.get(language, updated_at))
        newest[language] = max(updated_at, newest.get(language, updated_at))

    sections: dict[int, dict[str, str]] = {}
    newest_in_category: dict[int, dict[str, datetime]] = {}
    section_rows = (
        SectionTranslation.objects.filter(language__in=languages)
        .order_by("section__position", "section_id")
        .values_list("section_id", "section__category_id", "language", "slug")
    )
    for section_id, category_id, language, slug in section_rows:
        sections.setdefault(section_id, {})[language] = slug
        section_newest = newest_in_section.get(section_id, {}).get(language)
        if category_id is not None and section_newest is not None:
            in_category = newest_in_category.setdefault(category_id, {})
            in_category[language] = max(section_newest, in_category.get(language, section_newest))

    categories: dict[int, dict[str, str]] = {}
    category_rows = (
        CategoryTranslation.objects.filter(language__in=languages)
        .order_by("category__position", "category_id")
        .values_list("category_id", "language", "slug")
    )
    for category_id, language, slug in category_rows:
        categories.setdefault(category_id, {})[language] = slug

    pages = _language_versions({language: _absolute_url("home", language) for language in languages}, newest)
    for category_id, slugs in categories.items():
        urls = {
            language: _absolute_url("category_detail", language, pk=category_id, slug=slugs[language])
            for language in languages
            if language in slugs
        }
        pages += _language_versions(urls, newest_in_category.get(category_id, {}))
    for section_id, slugs in sections.items():
        urls = {
            language: _absolute_url("section_detail", language, pk=section_id, slug=slugs[language])
            for language in languages
            if language in slugs
        }
        pages += _language_versions(urls, newest_in_section.get(section_id, {}))
    for article_id, versions in articles.items():
        urls = {
            language: _absolute_url("article_detail", language, pk=article_id, slug=versions[language][0])
            for language in languages
            if language in versions
        }
        pages += _language_versions(urls, {language: updated_at for language, (_slug, updated_at) in versions.items()})
    return pages


def _w3c_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def write_sitemap(out: HttpResponse, pages: Iterable[Page]) -> None:
    xml = SimplerXMLGenerator(out, "utf-8", short_empty_elements=True)
    xml.startDocument()
    xml.startElement("urlset", AttributesImpl({"xmlns": SITEMAP_NS, "xmlns:xhtml": XHTML_NS}))
    for page in pages:
        xml.startElement("url", AttributesImpl({}))
        xml.addQuickElement("loc", page.location)
        if page.lastmod is not None:
            xml.addQuickElement("lastmod", _w3c_datetime(page.lastmod))
        for language, url in page.alternates.items():
            xml.addQuickElement("xhtml:link", attrs={"rel": "alternate", "hreflang": language, "href": url})
        xml.endElement("url")
    xml.endElement("urlset")
    xml.endDocument()


@require_safe
def sitemap(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="application/xml")
    write_sitemap(response, sitemap_pages())
    return response


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    prefixes = ["", *(f"/{language}" for language in _languages())]
    lines = ["User-agent: *"]
    lines += [f"Disallow: {prefix}{path}" for path in PRIVATE_PATHS for prefix in prefixes]
    lines += ["", f"Sitemap: {settings.COMPTOIR_BASE_URL}{reverse('sitemap')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
