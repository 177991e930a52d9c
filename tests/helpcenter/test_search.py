"""Full-text search over the Help Center, the same cases on SQLite (FTS5) and PostgreSQL."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.helpcenter.models import Article, ArticleTranslation, Section
from comptoir.helpcenter.search import search_articles
from comptoir.helpcenter.search_index import plain_text
from comptoir.helpcenter.services import article_translation_save


@pytest.fixture
def section(db) -> Section:
    return Section.objects.create(key="search-tests")


def write(
    section: Section,
    key: str,
    language: str,
    title: str,
    body: str,
    *,
    summary: str = "",
    published: bool = True,
) -> ArticleTranslation:
    article, _ = Article.objects.get_or_create(key=key, defaults={"section": section, "is_published": published})
    return article_translation_save(
        article=article, language=language, title=title, slug=key, summary=summary, body_markdown=body
    )


def titles(query: str, language: str) -> list[str]:
    return [hit.title for hit in search_articles(query, language)]


def search_url(language: str) -> str:
    with translation.override(language):
        return reverse("search")


def test_it_ignores_accents(section):
    write(section, "creer", "fr", "Votre compte", "Pour créer un compte, suivez le lien.")

    assert titles("creer", "fr") == ["Votre compte"]
    assert titles("CRÉER", "fr") == ["Votre compte"]


def test_it_finds_the_singular_from_the_plural_and_back(section):
    write(section, "singular", "en", "Opening a ticket", "Write what happened.")
    write(section, "plural", "en", "Following up", "All your tickets are listed here.")

    assert set(titles("tickets", "en")) == {"Opening a ticket", "Following up"}
    assert set(titles("ticket", "en")) == {"Opening a ticket", "Following up"}


def test_it_searches_only_the_page_language(client, section):
    write(section, "both", "fr", "Les pièces jointes", "Ajoutez une capture d'écran à votre message.")
    write(section, "both", "en", "Attachments", "Add a screenshot to your message.")

    assert titles("message", "fr") == ["Les pièces jointes"]
    assert titles("message", "en") == ["Attachments"]
    french = client.get(search_url("fr"), {"q": "message"}).content.decode()
    assert "Les pièces jointes" in french
    assert "Attachments" not in french
    english = client.get(search_url("en"), {"q": "message"}).content.decode()
    assert "Attachments" in english
    assert "Les pièces jointes" not in english


def test_it_never_finds_an_unpublished_article(client, section):
    write(section, "draft", "en", "Secret roadmap", "Upcoming invoices feature.", published=False)
    write(section, "public", "en", "Invoices", "Where to find your invoices.")

    assert titles("invoices", "en") == ["Invoices"]
    assert "Secret roadmap" not in client.get(search_url("en"), {"q": "roadmap"}).content.decode()


def test_it_ranks_a_title_match_above_a_body_only_match(section):
    write(section, "body-only", "en", "Your account", "You can also change the password of the account here.")
    write(section, "title", "en", "Changing your password", "Open the settings page.")

    hits = search_articles("password", "en")

    assert [hit.title for hit in hits] == ["Changing your password", "Your account"]
    assert hits[0].rank > hits[1].rank


def test_it_marks_the_matched_word_and_escapes_the_rest(client, section):
    write(
        section,
        "escaping",
        "en",
        "Pasting code",
        "Never paste `<script>alert(1)</script>` into a ticket: the support team will not run it.",
    )

    [hit] = search_articles("support", "en")

    assert "<mark>support</mark>" in hit.excerpt_html
    assert "&lt;script&gt;" in hit.excerpt_html
    assert "<script>" not in hit.excerpt_html
    html = client.get(search_url("en"), {"q": "support"}).content.decode()
    assert "<mark>support</mark>" in html
    assert "&lt;script&gt;alert(1)" in html
    assert "<script>alert(1)" not in html


@pytest.mark.parametrize(
    "query",
    ['"', '"support', "support*", "*", "NEAR(support team)", "support OR team", "support AND", "-support",
     "title:support", "support:*", "(support", "support)", "'", "!support & | <->", "^support", "{support}"],
)  # fmt: skip
def test_it_treats_search_syntax_as_plain_words(client, section, query):
    write(section, "syntax", "en", "Support hours", "The support team answers on weekdays.")

    response = client.get(search_url("en"), {"q": query})

    assert response.status_code == 200
    hits = search_articles(query, "en")
    assert [hit.title for hit in hits] in ([], ["Support hours"])


def test_it_finds_words_typed_between_operators(section):
    write(section, "operators", "en", "Support hours", "The support team answers on weekdays.")

    # Neither "-" (NOT in web search syntax) nor "*" nor quotes change the meaning:
    # the article holds both words, so it is found.
    assert titles('"support" -team', "en") == ["Support hours"]
    assert titles("(support* | !team)", "en") == ["Support hours"]


def test_it_searches_nothing_for_an_empty_query_and_shows_popular_articles(client, section):
    write(section, "any", "en", "Support hours", "The support team answers on weekdays.")

    assert search_articles("", "en") == []
    assert search_articles("   \t ", "en") == []
    response = client.get(search_url("en"), {"q": "  "})
    assert response.status_code == 200
    html = response.content.decode()
    assert "articles found" not in html
    assert html.index("Most read articles") < html.index("Support hours")
    assert client.get(search_url("en")).status_code == 200


def test_it_suggests_a_ticket_when_nothing_matches(client, section):
    html = client.get(search_url("en"), {"q": "zzzzqqq"}).content.decode()

    assert "No article matches your search" in html
    with translation.override("en"):
        assert f'href="{reverse("ticket_new")}?from=%2Fen%2Fsearch%2F"' in html


def test_it_keeps_the_query_in_the_box(client, section):
    html = client.get(search_url("en"), {"q": 'refund "now"'}).content.decode()

    assert 'value="refund &quot;now&quot;"' in html
    assert html.count('id="helpcenter-search"') == 1
    assert 'role="search"' in html


def test_it_follows_changes_made_through_the_service(section):
    write(section, "changing", "en", "Billing", "Invoices are sent monthly.")
    assert titles("monthly", "en") == ["Billing"]

    write(section, "changing", "en", "Billing", "Invoices are sent every week.")

    assert titles("monthly", "en") == []
    assert titles("week", "en") == ["Billing"]


def test_it_caps_the_number_of_words(section):
    write(section, "many", "en", "Support hours", "The support team answers on weekdays.")

    # Only the first ten words count: the eleventh, absent from the article, is ignored.
    assert titles("support " * 10 + "absent", "en") == ["Support hours"]


def test_it_forgives_a_typo_on_either_engine(section):
    write(section, "typo-en", "en", "Opening a support ticket", "Fill in the form.")
    write(section, "typo-fr", "fr", "Payer une facture", "Par carte ou virement.")

    assert titles("tikcet", "en") == ["Opening a support ticket"]
    assert titles("factrue", "fr") == ["Payer une facture"]


def test_it_runs_the_same_queries_for_one_result_and_twenty(client, section, django_assert_num_queries):
    write(section, "first", "en", "Support hours 0", "The support team answers.")
    # 1 the matching published translations with their rank and excerpt, 2 their sections and categories.
    with django_assert_num_queries(2):
        one = client.get(search_url("en"), {"q": "support"}).content.decode()
    assert one.count("<h2><a ") == 1

    for n in range(1, 25):
        write(section, f"more-{n}", "en", f"Support hours {n}", "The support team answers.")

    with django_assert_num_queries(2):
        twenty = client.get(search_url("en"), {"q": "support"}).content.decode()
    assert twenty.count("<h2><a ") == 20


def test_it_indexes_words_without_markup():
    html = "<p>Dans <strong>Mes tickets</strong>, sans</p><p>un &lt;b&gt;</p><ul><li>a</li><li>b</li></ul>"

    assert plain_text(html) == "Dans Mes tickets, sans un <b> a b"
