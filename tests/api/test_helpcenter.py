"""The Help Center through the API: categories, sections and published articles, in the caller's language, for anyone.

Issue 18: "Help Center categories, sections and articles (read for everyone)".
A draft, or an article not translated into the caller's language, is not
there, as on the Help Center's pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from comptoir.helpcenter.models import Article, Category, CategoryTranslation, Section, SectionTranslation
from comptoir.helpcenter.services import article_translation_save
from tests.api.conftest import People, revoked_token, token_for

pytestmark = pytest.mark.django_db


@dataclass
class Shelf:
    category: Category
    section: Section
    other_section: Section
    published: Article
    draft: Article
    english_only: Article


def article(section: Section, key: str, position: int, *, languages=("en", "fr"), published: bool = True) -> Article:
    made = Article.objects.create(key=key, section=section, position=position, is_published=published)
    for language in languages:
        article_translation_save(
            article=made,
            language=language,
            title=f"{key} ({language})",
            slug=key,
            summary=f"About {key}",
            body_markdown=f"# {key}\n\nSome **words**.",
        )
    return made


@pytest.fixture
def shelf(db) -> Shelf:
    category = Category.objects.create(key="billing", position=1)
    CategoryTranslation.objects.create(category=category, language="en", title="Billing", slug="billing")
    CategoryTranslation.objects.create(category=category, language="fr", title="Facturation", slug="facturation")
    section = Section.objects.create(key="invoices", category=category, position=2)
    other = Section.objects.create(key="payments", category=None, position=1)
    for made, en, fr in ((section, "Invoices", "Factures"), (other, "Payments", "Paiements")):
        SectionTranslation.objects.create(section=made, language="en", title=en, slug=en.lower())
        SectionTranslation.objects.create(section=made, language="fr", title=fr, slug=fr.lower())
    return Shelf(
        category=category,
        section=section,
        other_section=other,
        published=article(section, "download-invoice", 1),
        draft=article(section, "draft", 2, published=False),
        english_only=article(other, "card-declined", 1, languages=("en",)),
    )


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_anyone_reads_the_published_articles_in_their_language(api, shelf: Shelf):
    english = results(api("get", "/api/v1/helpcenter/articles/"))
    french = results(api("get", "/api/v1/helpcenter/articles/", HTTP_ACCEPT_LANGUAGE="fr"))

    assert [(row["id"], row["title"]) for row in english] == [
        (shelf.published.pk, "download-invoice (en)"),
        (shelf.english_only.pk, "card-declined (en)"),
    ]
    assert [(row["id"], row["title"], row["language"]) for row in french] == [
        (shelf.published.pk, "download-invoice (fr)", "fr")
    ]
    assert english[0]["web_url"] == f"http://testserver/en/articles/{shelf.published.pk}-download-invoice/"


def test_an_article_reads_whole_and_a_draft_is_not_there(api, people: People, shelf: Shelf):
    token = token_for(people.requester_a)
    read = api("get", f"/api/v1/helpcenter/articles/{shelf.published.pk}/", token)
    draft = api("get", f"/api/v1/helpcenter/articles/{shelf.draft.pk}/", token_for(people.agent))
    untranslated = api("get", f"/api/v1/helpcenter/articles/{shelf.english_only.pk}/", HTTP_ACCEPT_LANGUAGE="fr")

    assert read.status_code == 200
    assert "<strong>words</strong>" in read.json()["body_html"]
    assert read.json()["body_markdown"].startswith("# download-invoice")
    assert draft.status_code == untranslated.status_code == 404


def test_categories_and_sections_in_the_help_center_s_order(api, shelf: Shelf):
    categories = results(api("get", "/api/v1/helpcenter/categories/", HTTP_ACCEPT_LANGUAGE="fr"))
    sections = results(api("get", "/api/v1/helpcenter/sections/"))
    in_billing = results(api("get", f"/api/v1/helpcenter/sections/?category={shelf.category.pk}"))
    in_invoices = results(api("get", f"/api/v1/helpcenter/articles/?section={shelf.section.pk}"))

    assert [(row["id"], row["title"]) for row in categories] == [(shelf.category.pk, "Facturation")]
    assert [(row["title"], row["category"]) for row in sections] == [
        ("Payments", None),
        ("Invoices", shelf.category.pk),
    ]
    assert [row["title"] for row in in_billing] == ["Invoices"]
    assert [row["id"] for row in in_invoices] == [shelf.published.pk]


def test_a_token_sent_must_be_live_even_for_public_pages(api, people: People, shelf: Shelf):
    response = api("get", "/api/v1/helpcenter/articles/", revoked_token(people.agent))
    assert response.status_code == 401


def test_articles_page_in_order_and_cost_the_same_at_1_and_100(api, shelf: Shelf, django_assert_num_queries):
    for n in range(100):
        Article.objects.create(key=f"a{n:03}", section=shelf.section, position=10 + n)
    for made in Article.objects.filter(key__startswith="a"):
        article_translation_save(
            article=made, language="en", title=made.key, slug=made.key, summary="", body_markdown="Text."
        )
    api("get", "/api/v1/helpcenter/articles/?limit=1")
    # The address's rate-limit counter, the page.
    with django_assert_num_queries(2):
        one = api("get", "/api/v1/helpcenter/articles/?limit=1")
    with django_assert_num_queries(2):
        hundred = api("get", "/api/v1/helpcenter/articles/?limit=100")
    assert (len(results(one)), len(results(hundred))) == (1, 100)
    read: list[int] = []
    link: str | None = "/api/v1/helpcenter/articles/?limit=7"
    while link:
        page = api("get", link).json()
        read += [row["id"] for row in page["results"]]
        link = page["next"]
    assert len(read) == len(set(read)) == 102
