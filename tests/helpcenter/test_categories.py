"""Categories above sections, breadcrumbs through them, and related articles at the foot of an article."""

from __future__ import annotations

import pytest
from django.utils.timezone import localtime

from comptoir.helpcenter.models import Article, ArticleTranslation, Category, CategoryTranslation, SectionTranslation
from comptoir.helpcenter.selectors import SECTION_ARTICLES
from comptoir.helpcenter.services import article_translation_save, section_get_or_create
from tests.helpcenter.test_pages import add_articles, article_url, demo, section_url, url  # noqa: F401

CATEGORY_TITLES = {
    "fr": ["Ouvrir un ticket", "Suivre vos demandes"],
    "en": ["Opening a ticket", "Following your requests"],
}


def category_url(category: CategoryTranslation, slug: str | None = None) -> str:
    return url("category_detail", category.language, pk=category.category_id, slug=slug or category.slug)


def category(key: str, language: str) -> CategoryTranslation:
    return CategoryTranslation.objects.get(category__key=key, language=language)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_groups_the_home_page_sections_under_their_categories(client, demo, language):  # noqa: F811
    html = client.get(f"/{language}/").content.decode()

    first, second = (html.find(f">{title}</a></h2>") for title in CATEGORY_TITLES[language])
    assert 0 < first < second
    sections = {
        section.section.key: html.find(f">{section.title}</a></h3>")
        for section in SectionTranslation.objects.filter(language=language).select_related("section")
    }
    assert first < sections["support-tickets"] < sections["help-us-help-you"] < second
    assert second < sections["following-your-tickets"] < sections["account-and-emails"]
    assert f'href="{category_url(category("opening-a-ticket", language))}"' in html


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_lists_a_category_s_sections_and_their_articles(client, demo, language):  # noqa: F811
    opening = category("opening-a-ticket", language)

    response = client.get(category_url(opening))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{opening.title}</h1>" in html
    inside = SectionTranslation.objects.filter(language=language, section__category__key="opening-a-ticket")
    outside = SectionTranslation.objects.filter(language=language, section__category__key="following-up")
    assert inside and outside
    assert all(f'href="{section_url(section)}"' in html for section in inside)
    assert not any(f'href="{section_url(section)}"' in html for section in outside)
    article = ArticleTranslation.objects.get(article__key="how-to-open-a-support-ticket", language=language)
    assert f'href="{article_url(article)}"' in html


def test_it_redirects_an_old_category_slug_permanently(client, demo):  # noqa: F811
    opening = category("opening-a-ticket", "en")

    response = client.get(category_url(opening, slug="old-title"))

    assert response.status_code == 301
    assert response["Location"] == category_url(opening)


def test_it_answers_404_for_an_unknown_category_or_a_missing_translation(client, demo):  # noqa: F811
    opening = category("opening-a-ticket", "en")
    assert client.get(url("category_detail", "en", pk=9999, slug="nothing")).status_code == 404
    opening.delete()
    assert client.get(category_url(opening)).status_code == 404
    assert client.get(category_url(category("opening-a-ticket", "fr"))).status_code == 200


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_shows_the_category_in_the_section_and_article_breadcrumbs(client, demo, language):  # noqa: F811
    opening = category("opening-a-ticket", language)
    section = SectionTranslation.objects.get(section__key="support-tickets", language=language)
    article = ArticleTranslation.objects.get(article__key="how-to-open-a-support-ticket", language=language)
    link = f'<a href="{category_url(opening)}">{opening.title}</a>'

    assert link in client.get(section_url(section)).content.decode()
    assert link in client.get(article_url(article)).content.decode()


def test_it_lists_sections_in_no_category_after_the_categories(client, demo):  # noqa: F811
    loose = section_get_or_create(key="loose", position=0, icon="")
    SectionTranslation.objects.create(section=loose, language="en", title="Loose ends", slug="loose-ends")

    html = client.get("/en/").content.decode()

    assert html.find(">Following your requests</a></h2>") < html.find("More topics") < html.find(">Loose ends</a>")
    # Its page has no category in the breadcrumb and costs no query for one.
    translation = SectionTranslation.objects.get(section=loose, language="en")
    assert client.get(section_url(translation)).status_code == 200


def test_a_home_page_without_categories_lists_its_sections_plainly(client, demo):  # noqa: F811
    Category.objects.all().delete()

    html = client.get("/en/").content.decode()

    assert "More topics" not in html
    assert '<h2 id="other-sections" class="visually-hidden">Sections</h2>' in html
    assert ">Support tickets</a></h3>" in html


def test_it_pins_the_category_page_queries(client, demo, django_assert_num_queries):  # noqa: F811
    opening = category("opening-a-ticket", "en")
    # 1 the category's translation, 2 its sections, 3 their translations,
    # 4 their published articles, 5 the articles' translations.
    with django_assert_num_queries(5):
        assert client.get(category_url(opening)).status_code == 200
    add_articles("en", 5)
    with django_assert_num_queries(5):
        assert client.get(category_url(opening)).content.decode().count("Extra article") == 5


def side_list(html: str) -> str:
    return html[html.index('id="section-nav-title"') : html.index("</nav>", html.index('id="section-nav-title"'))]


def test_an_article_lists_its_sections_articles_beside_it_in_the_language(client, demo):  # noqa: F811
    article = ArticleTranslation.objects.get(article__key="how-to-open-a-support-ticket", language="fr")
    same_section = ArticleTranslation.objects.filter(
        language="fr", article__section_id=article.article.section_id
    ).exclude(pk=article.pk)
    assert same_section
    unpublished = same_section[0]
    Article.objects.filter(pk=unpublished.article_id).update(is_published=False)

    html = client.get(article_url(article)).content.decode()

    listed = side_list(html)
    # The article itself, marked as the page the reader is on.
    assert f'<a href="{article_url(article)}" aria-current="page">' in listed
    assert f'href="{article_url(unpublished)}"' not in listed
    for other in same_section[1:]:
        assert f'<a href="{article_url(other)}">' in listed
    other_section = ArticleTranslation.objects.exclude(article__section_id=article.article.section_id).filter(
        language="fr"
    )[0]
    assert f'href="{article_url(other_section)}"' not in listed
    # When it was last updated, as a machine-readable time.
    assert f'<time datetime="{localtime(article.updated_at).isoformat()}">' in html


def test_a_long_section_lists_the_articles_around_this_one_and_links_the_rest(client, demo):  # noqa: F811
    article = ArticleTranslation.objects.get(article__key="how-to-open-a-support-ticket", language="en")
    for n in range(SECTION_ARTICLES + 5):
        extra = Article.objects.create(key=f"related-{n}", section_id=article.article.section_id, position=99)
        article_translation_save(
            article=extra, language="en", title=f"Related {n}", slug=f"related-{n}", summary="", body_markdown="Text."
        )
    last = ArticleTranslation.objects.get(article__key=f"related-{SECTION_ARTICLES + 4}", language="en")

    listed = side_list(client.get(article_url(last)).content.decode())

    assert listed.count("<li>") == SECTION_ARTICLES
    assert f'<a href="{article_url(last)}" aria-current="page">' in listed
    assert "Every article of the section" in listed


def test_the_sitemap_lists_the_categories_in_both_languages(client, demo):  # noqa: F811
    xml = client.get("/sitemap.xml").content.decode()

    for language in ("fr", "en"):
        assert category_url(category("following-up", language)) in xml
