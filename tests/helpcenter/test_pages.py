"""Help Center pages in French and English, built from the demo content."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.helpcenter.demo import load_demo_content
from comptoir.helpcenter.models import Article, ArticleTranslation, Section, SectionTranslation
from comptoir.helpcenter.rendering import render_markdown
from comptoir.helpcenter.services import article_translation_save

# In the order the home page shows them: by category, then by position.
SECTION_TITLES = {
    "fr": ["Tickets de support", "Aidez-nous à vous aider", "Suivre vos tickets", "Votre compte et vos e-mails"],
    "en": ["Support tickets", "Help us help you", "Following your tickets", "Your account and e-mails"],
}


@pytest.fixture
def demo(db) -> None:
    load_demo_content()


def url(name: str, language: str, **kwargs: object) -> str:
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def article_url(article: ArticleTranslation, slug: str | None = None) -> str:
    return url("article_detail", article.language, pk=article.article_id, slug=slug or article.slug)


def section_url(section: SectionTranslation, slug: str | None = None) -> str:
    return url("section_detail", section.language, pk=section.section_id, slug=slug or section.slug)


def open_ticket_article(language: str = "en") -> ArticleTranslation:
    """A demo article with several second-level headings."""
    article = ArticleTranslation.objects.get(article__key="how-to-open-a-support-ticket", language=language)
    assert len(article.toc) >= 2
    return article


def header_of(html: str) -> str:
    match = re.search(r"<header\b.*?</header>", html, re.S)
    assert match is not None, "the page has no <header>"
    return match.group(0)


# --- Home ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_lists_the_sections_in_the_page_language_in_order(client, demo, language):
    response = client.get(f"/{language}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    positions = [html.find(f">{title}</a>") for title in SECTION_TITLES[language]]
    assert -1 not in positions, positions
    assert positions == sorted(positions)
    other = "en" if language == "fr" else "fr"
    assert not any(title in html for title in SECTION_TITLES[other])


def test_it_links_each_article_of_the_home_page_in_the_page_language(client, demo):
    html = client.get("/fr/").content.decode()

    for article in ArticleTranslation.objects.filter(language="fr"):
        assert f'href="{article_url(article)}"' in html
    assert "/en/articles/" not in html


# --- Article ---------------------------------------------------------------------


def test_it_links_the_table_of_contents_to_the_headings(client, demo):
    article = open_ticket_article()

    html = client.get(article_url(article)).content.decode()

    toc = re.search(r'<nav class="toc".*?</nav>', html, re.S)
    assert toc is not None
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', toc.group(0))
    assert links == [(entry["id"], entry["title"]) for entry in article.toc]
    for anchor, _title in links:
        assert html.count(f'id="{anchor}"') == 1, anchor
    assert "Where to find the form" in dict(links).values()


def test_it_offers_back_to_top_links_after_each_part(client, demo):
    article = open_ticket_article()

    html = client.get(article_url(article)).content.decode()

    assert html.count('id="top"') == 1
    assert html.count('<a href="#top">') == len(article.toc)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_links_to_the_ticket_form_from_the_article_header(client, demo, language):
    article = open_ticket_article(language)

    html = client.get(article_url(article)).content.decode()

    form = url("ticket_new", language)
    assert form.startswith(f"/{language}/")
    # The form is told which Help Center page the customer came from (comptoir.ticketforms.context).
    assert f'href="{form}?{urlencode({"from": article_url(article)})}"' in header_of(html)


def test_it_redirects_a_wrong_slug_permanently(client, demo):
    article = open_ticket_article()

    response = client.get(article_url(article, slug="old-title"))

    assert response.status_code == 301
    assert response["Location"] == article_url(article)


def test_it_redirects_the_slug_of_the_other_language(client, demo):
    # The language switcher keeps the path: /fr/articles/3-comment-... becomes /en/articles/3-comment-...
    english = open_ticket_article("en")
    french = open_ticket_article("fr")
    assert french.slug != english.slug

    response = client.get(url("article_detail", "en", pk=english.article_id, slug=french.slug))

    assert response.status_code == 301
    assert response["Location"] == article_url(english)


def test_it_redirects_a_wrong_section_slug_permanently(client, demo):
    section = SectionTranslation.objects.get(section__key="support-tickets", language="fr")

    response = client.get(section_url(section, slug="ancien-titre"))

    assert response.status_code == 301
    assert response["Location"] == section_url(section)


def test_it_points_to_the_other_language_when_an_article_is_missing(client, demo):
    english = open_ticket_article("en")
    french = open_ticket_article("fr")
    english.delete()

    response = client.get(article_url(english))

    assert response.status_code == 404
    html = response.content.decode()
    assert f'<li lang="fr"><a href="{article_url(french)}">{french.title}</a></li>' in html


def test_it_answers_404_for_an_unknown_article_and_section(client, demo):
    assert client.get(url("article_detail", "en", pk=9999, slug="nothing")).status_code == 404
    assert client.get(url("section_detail", "en", pk=9999, slug="nothing")).status_code == 404


def test_it_hides_an_unpublished_article(client, demo):
    article = open_ticket_article()
    Article.objects.filter(pk=article.article_id).update(is_published=False)

    assert client.get(article_url(article)).status_code == 404
    assert article.title not in client.get("/en/").content.decode()


# --- Demo loader -------------------------------------------------------------------


def counts() -> tuple[int, int, int, int]:
    return (
        Section.objects.count(),
        SectionTranslation.objects.count(),
        Article.objects.count(),
        ArticleTranslation.objects.count(),
    )


def test_it_loads_the_demo_content_once_however_often_it_runs(db):
    assert load_demo_content() == (4, 24)
    first = counts()
    ids = set(ArticleTranslation.objects.values_list("pk", flat=True))

    assert load_demo_content() == (4, 24)

    assert first == counts() == (4, 8, 12, 24)
    assert set(ArticleTranslation.objects.values_list("pk", flat=True)) == ids


def test_it_links_demo_articles_to_each_other_in_their_language(demo):
    for article in ArticleTranslation.objects.all():
        assert "article:" not in article.body_html, article
        for href in re.findall(r'href="(/[^"]*)"', article.body_html):
            assert href.startswith(f"/{article.language}/articles/"), (article, href)


# --- Rendering ---------------------------------------------------------------------


class Elements(HTMLParser):
    """Every start tag with its (unescaped) attributes, and the text between tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize(
    "source",
    [
        "Hello <script>alert('x')</script> world",
        "<img src=x onerror=alert('x')>",
        '<p><img src="shot.png" onerror="alert(1)" alt="shot"></p>',
        '<a href="#" onclick="alert(1)">click</a>',
        "[click](javascript:alert('x'))",
        "[click](JaVaScRiPt:alert('x'))",
        "[click][ref]\n\n[ref]: javascript:alert('x')",
        '<a href="javascript:alert(1)">click</a>',
        '<a href="jav&#x61;script:alert(1)">click</a>',
        '<iframe src="https://evil.example"></iframe>',
        "![x](javascript:alert('x'))",
        '<div style="background:url(javascript:alert(1))">x</div>',
    ],
)
def test_it_strips_scripts_handlers_and_javascript_links(source):
    html = render_markdown(source).html

    # What a browser would build from the HTML, not its text: escaped markup is harmless.
    elements = Elements()
    elements.feed(html)
    elements.close()
    for tag, attributes in elements.tags:
        assert tag not in ("script", "iframe", "style"), html
        for name, value in attributes:
            assert not name.startswith("on"), html
            assert name != "style", html
            assert not re.sub(r"\s", "", value or "").lower().startswith("javascript:"), html


def test_it_keeps_ordinary_markdown():
    rendered = render_markdown("## First step\n\nSee [the form](https://example.com/new) and **this**.\n\n## Then")

    assert '<h2 id="first-step">First step</h2>' in rendered.html
    assert '<a href="https://example.com/new" rel="noopener noreferrer">the form</a>' in rendered.html
    assert "<strong>this</strong>" in rendered.html
    assert rendered.toc == [{"id": "first-step", "title": "First step"}, {"id": "then", "title": "Then"}]


# --- Query counts ------------------------------------------------------------------


def add_articles(language: str, number: int) -> None:
    section = Section.objects.get(key="support-tickets")
    for n in range(number):
        article = Article.objects.create(key=f"extra-{n}", section=section, position=100 + n)
        article_translation_save(
            article=article,
            language=language,
            title=f"Extra article {n}",
            slug=f"extra-article-{n}",
            summary="",
            body_markdown=f"## Part {n}\n\nText.",
        )


def test_it_pins_the_home_page_queries(client, demo, django_assert_num_queries):
    # 1 sections, 2 their translations in the language, 3 their published
    # articles, 4 the articles' translations in the language, 5 the categories'
    # translations in the language with their categories, 6 the featured
    # articles, 7 the popular ones.
    with django_assert_num_queries(7):
        response = client.get("/en/")
    assert response.status_code == 200


def test_it_runs_the_same_home_page_queries_with_more_articles(client, demo, django_assert_num_queries):
    with django_assert_num_queries(7):
        before = client.get("/en/").content.decode()
    add_articles("en", 5)

    # The same seven queries: sections, section translations, articles, article translations, categories,
    # featured articles, popular articles.
    with django_assert_num_queries(7):
        after = client.get("/en/").content.decode()
    # Each in its section, and again among the popular ones (none has votes: the latest updated come first).
    assert after.count("Extra article") == 5 + 5
    assert "Extra article" not in before


def test_it_pins_the_section_page_queries(client, demo, django_assert_num_queries):
    section = SectionTranslation.objects.get(section__key="support-tickets", language="en")
    # 1 the section, 2 its translation in the language, 3 its published
    # articles, 4 the articles' translations in the language, 5 its category's
    # translation for the breadcrumb.
    with django_assert_num_queries(5):
        response = client.get(section_url(section))
    assert response.status_code == 200
    add_articles("en", 5)
    with django_assert_num_queries(5):
        assert client.get(section_url(section)).content.decode().count("Extra article") == 5


def test_it_pins_the_article_page_queries(client, demo, django_assert_num_queries):
    article = open_ticket_article()
    # 1 the translation with its article and section, 2 the section's and
    # 3 the category's translations for the breadcrumb, 4 the related articles.
    with django_assert_num_queries(4):
        response = client.get(article_url(article))
    assert response.status_code == 200
