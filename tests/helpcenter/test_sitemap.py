"""sitemap.xml and robots.txt: public pages in each language they exist in, on the configured base URL."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.robotparser import RobotFileParser

import pytest

from comptoir.helpcenter.models import Article, ArticleTranslation, Section, SectionTranslation
from comptoir.helpcenter.services import article_translation_save, section_get_or_create

BASE = "https://help.example.com"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "xhtml": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.COMPTOIR_BASE_URL = BASE


def make_section(key: str, position: int, slugs: dict[str, str]) -> Section:
    section = section_get_or_create(key=key, position=position, icon="")
    for language, slug in slugs.items():
        SectionTranslation.objects.create(section=section, language=language, title=slug.title(), slug=slug)
    return section


def make_article(section: Section, key: str, slugs: dict[str, str], *, is_published: bool = True) -> Article:
    article = Article.objects.create(key=key, section=section, position=Article.objects.count(), is_published=True)
    for language, slug in slugs.items():
        article_translation_save(
            article=article, language=language, title=slug, slug=slug, summary="", body_markdown="Text."
        )
    if not is_published:
        Article.objects.filter(pk=article.pk).update(is_published=False)
    return article


@dataclass
class Content:
    tickets: Section
    account: Section
    open_ticket: Article
    export: Article
    draft: Article


@pytest.fixture
def content(db) -> Content:
    tickets = make_section("tickets", 0, {"fr": "tickets-de-support", "en": "support-tickets"})
    account = make_section("account", 1, {"fr": "votre-compte"})  # no English translation
    return Content(
        tickets=tickets,
        account=account,
        open_ticket=make_article(tickets, "open", {"fr": "comment-creer-un-ticket", "en": "how-to-open-a-ticket"}),
        export=make_article(tickets, "export", {"en": "exporting-tickets"}),  # no French translation
        draft=make_article(account, "draft", {"fr": "brouillon", "en": "draft"}, is_published=False),
    )


@dataclass
class Entry:
    lastmod: str | None
    alternates: dict[str, str]


def parse(content: bytes) -> ET.Element:
    # Our own response, not untrusted input: the standard parser is enough.
    return ET.fromstring(content)  # noqa: S314


def entries(client) -> dict[str, Entry]:
    """Each <loc> of the sitemap with its <lastmod> and hreflang alternates, in order."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = parse(response.content)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    found = {}
    for url in root.findall("s:url", NS):
        loc = url.findtext("s:loc", namespaces=NS)
        assert loc is not None
        assert loc not in found, f"{loc} listed twice"
        links = url.findall("xhtml:link", NS)
        assert all(link.get("rel") == "alternate" for link in links)
        found[loc] = Entry(
            lastmod=url.findtext("s:lastmod", namespaces=NS),
            alternates={link.get("hreflang", ""): link.get("href", "") for link in links},
        )
    return found


def set_updated_at(article: Article, language: str, moment: datetime) -> None:
    # update() skips auto_now, so the test picks the dates.
    ArticleTranslation.objects.filter(article=article, language=language).update(updated_at=moment)


# --- What is listed --------------------------------------------------------------


def test_it_lists_the_home_page_sections_and_published_articles_in_each_language(client, content):
    open_pk, export_pk = content.open_ticket.pk, content.export.pk
    tickets_pk, account_pk = content.tickets.pk, content.account.pk

    assert list(entries(client)) == [
        f"{BASE}/fr/",
        f"{BASE}/en/",
        f"{BASE}/fr/sections/{tickets_pk}-tickets-de-support/",
        f"{BASE}/en/sections/{tickets_pk}-support-tickets/",
        f"{BASE}/fr/sections/{account_pk}-votre-compte/",
        f"{BASE}/fr/articles/{open_pk}-comment-creer-un-ticket/",
        f"{BASE}/en/articles/{open_pk}-how-to-open-a-ticket/",
        f"{BASE}/en/articles/{export_pk}-exporting-tickets/",
    ]


def test_it_leaves_out_unpublished_articles_and_missing_translations(client, content):
    listed = "\n".join(entries(client))

    assert f"/articles/{content.draft.pk}-" not in listed
    assert f"/fr/articles/{content.export.pk}-" not in listed
    assert f"/en/sections/{content.account.pk}-" not in listed
    # Published again, the article appears: the test above is not empty by accident.
    Article.objects.filter(pk=content.draft.pk).update(is_published=True)
    assert f"{BASE}/en/articles/{content.draft.pk}-draft/" in entries(client)


def test_it_leaves_out_translations_in_languages_the_site_does_not_offer(client, content):
    make_article(content.tickets, "german", {"de": "tickets-erstellen", "en": "creating-tickets"})

    listed = entries(client)

    assert not any("/de/" in loc for loc in listed)
    assert listed[f"{BASE}/en/articles/{Article.objects.get(key='german').pk}-creating-tickets/"].alternates == {}


def test_it_links_each_page_to_its_versions_in_both_languages(client, content):
    listed = entries(client)

    fr = f"{BASE}/fr/articles/{content.open_ticket.pk}-comment-creer-un-ticket/"
    en = f"{BASE}/en/articles/{content.open_ticket.pk}-how-to-open-a-ticket/"
    assert listed[fr].alternates == listed[en].alternates == {"fr": fr, "en": en}
    assert listed[f"{BASE}/fr/"].alternates == {"fr": f"{BASE}/fr/", "en": f"{BASE}/en/"}
    section_fr = f"{BASE}/fr/sections/{content.tickets.pk}-tickets-de-support/"
    section_en = f"{BASE}/en/sections/{content.tickets.pk}-support-tickets/"
    assert listed[section_en].alternates == {"fr": section_fr, "en": section_en}


def test_it_gives_no_alternates_to_a_page_in_one_language_only(client, content):
    listed = entries(client)

    assert listed[f"{BASE}/en/articles/{content.export.pk}-exporting-tickets/"].alternates == {}
    assert listed[f"{BASE}/fr/sections/{content.account.pk}-votre-compte/"].alternates == {}


# --- Dates -------------------------------------------------------------------------


def test_it_dates_each_article_translation_by_its_last_update(client, content):
    set_updated_at(content.open_ticket, "fr", datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC))
    set_updated_at(content.open_ticket, "en", datetime(2025, 4, 2, 10, 0, tzinfo=UTC))

    listed = entries(client)

    assert listed[f"{BASE}/fr/articles/{content.open_ticket.pk}-comment-creer-un-ticket/"].lastmod == (
        "2025-03-01T09:30:15+00:00"
    )
    assert listed[f"{BASE}/en/articles/{content.open_ticket.pk}-how-to-open-a-ticket/"].lastmod == (
        "2025-04-02T10:00:00+00:00"
    )


def test_it_dates_sections_and_home_by_their_newest_article_in_the_language(client, content):
    set_updated_at(content.open_ticket, "fr", datetime(2025, 3, 1, tzinfo=UTC))
    set_updated_at(content.open_ticket, "en", datetime(2025, 4, 2, tzinfo=UTC))
    set_updated_at(content.export, "en", datetime(2025, 5, 3, tzinfo=UTC))
    # Unpublished articles do not date the pages that do not list them.
    set_updated_at(content.draft, "fr", datetime(2025, 6, 4, tzinfo=UTC))

    listed = entries(client)

    assert listed[f"{BASE}/fr/"].lastmod == "2025-03-01T00:00:00+00:00"
    assert listed[f"{BASE}/en/"].lastmod == "2025-05-03T00:00:00+00:00"
    assert listed[f"{BASE}/fr/sections/{content.tickets.pk}-tickets-de-support/"].lastmod == (
        "2025-03-01T00:00:00+00:00"
    )
    assert listed[f"{BASE}/en/sections/{content.tickets.pk}-support-tickets/"].lastmod == "2025-05-03T00:00:00+00:00"
    # A section with no published article has no date to give.
    assert listed[f"{BASE}/fr/sections/{content.account.pk}-votre-compte/"].lastmod is None


# --- The response ------------------------------------------------------------------


def test_it_answers_xml_at_the_root_and_not_under_a_language(client, content):
    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert client.get("/fr/sitemap.xml").status_code == 404


def test_it_builds_urls_on_the_base_url_and_never_on_the_host_header(client, content, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "forged.example"]

    response = client.get("/sitemap.xml", HTTP_HOST="forged.example")

    assert response.status_code == 200
    assert b"forged.example" not in response.content
    root = parse(response.content)
    urls = [loc.text or "" for loc in root.iterfind("s:url/s:loc", NS)]
    urls += [link.get("href", "") for link in root.iterfind("s:url/xhtml:link", NS)]
    assert urls
    assert all(url.startswith(f"{BASE}/") for url in urls), urls


def test_it_runs_the_same_queries_for_one_article_as_for_thirty(client, db, django_assert_num_queries):
    section = make_section("tickets", 0, {"fr": "tickets", "en": "tickets"})
    make_article(section, "article-0", {"fr": "article-0", "en": "article-0"})

    # 1 published article translations with their section, 2 section
    # translations, 3 category translations.
    with django_assert_num_queries(3):
        one = client.get("/sitemap.xml")

    for n in range(1, 30):
        make_article(section, f"article-{n}", {"fr": f"article-{n}", "en": f"article-{n}"})
    with django_assert_num_queries(3):
        thirty = client.get("/sitemap.xml")

    # Home and section in two languages, then the articles in two languages.
    assert one.content.count(b"<url>") == 4 + 2
    assert thirty.content.count(b"<url>") == 4 + 60


# --- robots.txt --------------------------------------------------------------------


@pytest.fixture
def robots(client, db) -> RobotFileParser:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    parser = RobotFileParser()
    parser.parse(response.content.decode().splitlines())
    return parser


@pytest.mark.parametrize(
    "path",
    [
        "/agent/",
        "/fr/agent/tickets/12/",
        "/en/agent/mail/quarantine/",
        "/admin/",
        "/t/some-token/",
        "/dev/outbox/",
        "/tickets/new/",
        "/fr/tickets/new/",
        "/en/tickets/42/",
        "/fr/surveys/some-token/",
        "/en/surveys/some-token/",
    ],
)
def test_it_keeps_robots_out_of_private_pages(robots, path):
    assert not robots.can_fetch("*", f"{BASE}{path}")


@pytest.mark.parametrize(
    "path", ["/", "/fr/", "/en/", "/fr/articles/3-comment-creer-un-ticket/", "/en/sections/1-tickets/", "/sitemap.xml"]
)
def test_it_lets_robots_read_the_help_center(robots, path):
    assert robots.can_fetch("*", f"{BASE}{path}")


def test_it_points_robots_to_the_sitemap_on_the_base_url(robots):
    assert robots.site_maps() == [f"{BASE}/sitemap.xml"]
