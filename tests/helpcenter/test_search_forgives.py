"""Help Center search that forgives (issue 22): typos corrected alike on SQLite and PostgreSQL,
the other language when the reader's has nothing, popular articles for an empty query, and
each result's category and section."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from comptoir.deflection.models import DeflectionEvent
from comptoir.helpcenter.demo import load_demo_content
from comptoir.helpcenter.models import Article, ArticleTranslation, ArticleVote, SearchWord, Section
from comptoir.helpcenter.search import search, search_articles
from comptoir.helpcenter.search_words import FTS_TABLE, SQLITE_TRIGGER_NAMES, distance, fold
from comptoir.helpcenter.services import article_translation_save


@pytest.fixture
def section(db) -> Section:
    return Section.objects.create(key="forgiving")


@pytest.fixture
def demo(db) -> None:
    load_demo_content()


def write(section: Section, key: str, language: str, title: str, body: str, *, published: bool = True):
    article, _ = Article.objects.get_or_create(key=key, defaults={"section": section, "is_published": published})
    return article_translation_save(
        article=article, language=language, title=title, slug=key, summary="", body_markdown=body
    )


def search_url(language: str) -> str:
    with translation.override(language):
        return reverse("search")


def titles(query: str, language: str) -> list[str]:
    return [hit.title for hit in search_articles(query, language)]


# --- Typos ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "typo", "title", "corrected"),
    [
        ("en", "screnshot", "Taking good screenshots", "screenshot"),
        ("en", "pasword", "Signing up to see all your tickets", "password"),
        ("en", "satifsaction", "How the satisfaction survey works", "satisfaction"),
        ("fr", "captur d'ecrann", "Faire de bonnes captures d’écran", "capture d'écran"),  # noqa: RUF001  # the articles' typographic apostrophe
        ("fr", "enquete de satifsaction", "Comment fonctionne l’enquête de satisfaction", "enquete de satisfaction"),  # noqa: RUF001  # the articles' typographic apostrophe
    ],
)
def test_a_typo_finds_its_article_as_the_issue_typed_it(demo, language, typo, title, corrected):
    outcome = search(typo, language)

    assert title in [hit.title for hit in outcome.hits]
    assert outcome.corrected == corrected


def test_the_words_typed_exactly_rank_first_and_are_not_corrected(section):
    write(section, "typo-in-article", "en", "A page that misspells pasword", "Somebody typed it so.")
    write(section, "right", "en", "Changing your password", "Open the settings.")

    outcome = search("pasword", "en")

    assert [hit.title for hit in outcome.hits] == ["A page that misspells pasword"]
    assert outcome.corrected == ""


def test_the_page_offers_the_corrected_query_as_a_link(client, section):
    write(section, "password", "en", "Changing your password", "Open the settings.")

    html = client.get(search_url("en"), {"q": 'pasword <open>"'}).content.decode()

    assert "Changing your password" in html
    link = f'Did you mean <a href="{search_url("en")}?q=password%20%3Copen%3E%22">password &lt;open&gt;&quot;</a>?'
    assert link in html
    assert "<open>" not in html
    assert "1 article found for “password &lt;open&gt;&quot;”." in html


def test_a_correction_keeps_the_accents_the_articles_write(section):
    write(section, "ecran", "fr", "Votre écran", "Un écran bleu.")

    assert search("ecrann", "fr").corrected == "écran"


def test_no_correction_when_nothing_is_close(client, section):
    write(section, "password", "en", "Changing your password", "Open the settings.")

    outcome = search("zebra", "en")

    assert outcome.hits == []
    assert outcome.corrected == ""
    assert "Did you mean" not in client.get(search_url("en"), {"q": "zebra"}).content.decode()


def test_a_word_only_an_unpublished_article_holds_is_never_offered(client, section):
    write(section, "draft", "en", "Secret roadmap", "The zygomorphic plan.", published=False)
    write(section, "public", "en", "Invoices", "Where to find your invoices.")

    assert search("zygomorfic", "en").hits == []
    html = client.get(search_url("en"), {"q": "zygomorfic"}).content.decode()
    assert "zygomorphic" not in html
    assert "Secret roadmap" not in html


def test_a_typo_costs_three_queries_more_than_a_word_found(client, section, django_assert_num_queries):
    write(section, "password", "en", "Changing your password", "Open the settings.")

    # 1 the words as typed (nothing), 2 the words close to each typo, 3 the corrected words,
    # 4 the results' sections and categories.
    with django_assert_num_queries(4):
        html = client.get(search_url("en"), {"q": "pasword setings"}).content.decode()
    assert "Did you mean" in html and "password settings" in html


def test_it_words_typos_out_of_search_syntax(section):
    write(section, "password", "en", "Changing your password", "Open the settings.")

    for query in ['"pasword', "pasword*", "-pasword", "(pasword)", "pasword:*", "^pasword", "{pasword}"]:
        assert titles(query, "en") == ["Changing your password"], query


def test_the_vocabulary_follows_the_articles(section):
    write(section, "words", "fr", "Créer un compte", "Votre Écran, 2026, à.")

    words = dict(SearchWord.objects.filter(language="fr").values_list("folded", "word"))
    # Short words and numbers are never corrected, so they are not kept.
    assert words == {"creer": "créer", "compte": "compte", "votre": "votre", "ecran": "écran"}
    assert not SearchWord.objects.filter(language="en").exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the trigram FTS5 table is SQLite's")
def test_the_trigram_index_follows_the_words_by_its_triggers(section):
    write(section, "words", "en", "Changing your password", "Open the settings.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'helpcenter_searchword' ORDER BY name"
        )
        assert [row[0] for row in cursor.fetchall()] == sorted(SQLITE_TRIGGER_NAMES)
        SearchWord.objects.filter(folded="password").delete()
        count = f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608 - a constant
        cursor.execute(count, ['"  pa"'])
        assert cursor.fetchone()[0] == 0
        cursor.execute(count, ['"  se"'])
        assert cursor.fetchone()[0] == 1

    assert search("pasword", "en").hits == []


@pytest.mark.parametrize(
    ("typed", "word", "edits"),
    [("tikcet", "ticket", 1), ("pasword", "password", 1), ("ecrann", "ecran", 1), ("abc", "abc", 0), ("ab", "ba", 1)],
)
def test_a_swap_of_two_neighbours_is_one_edit(typed, word, edits):
    assert distance(typed, word) == edits


def test_folding_drops_case_and_accents():
    assert fold("ÉcRàN") == "ecran"


# --- The other language -----------------------------------------------------------------------


def test_nothing_in_the_readers_language_offers_the_other_languages_articles(client, section):
    write(section, "facture", "fr", "Payer une facture", "Par carte ou virement.")
    write(section, "other", "en", "Opening a ticket", "Fill in the form.")

    html = client.get(search_url("en"), {"q": "facture"}).content.decode()

    assert "No article in your language matches “facture”. Here is 1 article in French." in html
    with translation.override("fr"):
        french_url = reverse("article_detail", args=[Article.objects.get(key="facture").pk, "facture"])
    assert '<li class="card search-result" lang="fr">' in html
    assert f'<h2><a href="{french_url}">Payer une facture</a></h2>' in html
    assert '<span class="tag">Français</span>' in html
    # Still an article to write in English: the deflection report counts it.
    assert DeflectionEvent.objects.filter(query="facture", language="en").exists()


def test_the_other_language_forgives_typos_too(client, section):
    write(section, "facture", "fr", "Payer une facture", "Par carte ou virement.")

    html = client.get(search_url("en"), {"q": "factrue"}).content.decode()

    assert "Payer une facture" in html
    assert "Did you mean" in html


def test_the_readers_language_comes_first(client, section):
    write(section, "both", "fr", "Payer une facture", "Par carte ou virement.")
    write(section, "both", "en", "Paying an invoice", "By card or transfer: facture.")

    html = client.get(search_url("en"), {"q": "facture"}).content.decode()

    assert "Paying an invoice" in html
    assert "Payer une facture" not in html
    assert "lang=" not in html.split('class="search-results"')[1].split("</ol>")[0]


# --- Nothing typed, and where each result lives ----------------------------------------------


def test_an_empty_query_shows_the_most_helpful_articles_first(client, section, django_assert_num_queries):
    liked = write(section, "liked", "en", "Liked a lot", "Text.").article
    write(section, "recent", "en", "Recent but unvoted", "Text.")
    write(section, "draft", "en", "Unpublished", "Text.", published=False)
    write(section, "french", "fr", "En français", "Texte.")
    for voter in ("a", "b"):
        ArticleVote.objects.create(article=liked, voter=voter, helpful=True, language="en")

    # 1 the articles with their "helpful" votes counted, 2 their sections and categories.
    with django_assert_num_queries(2):
        html = client.get(search_url("en")).content.decode()

    assert 0 < html.index("Most read articles") < html.index("Liked a lot") < html.index("Recent but unvoted")
    assert "Unpublished" not in html
    assert "En français" not in html


def test_results_show_their_category_and_section(client, demo, django_assert_num_queries):
    # 1 the search, 2 the sections with their categories.
    with django_assert_num_queries(2):
        html = client.get(search_url("en"), {"q": "screenshots"}).content.decode()

    result = html.split('class="search-results"')[1].split("</li>")[0]
    assert "Taking good screenshots" in result
    section = ArticleTranslation.objects.get(article__key="taking-good-screenshots", language="en")
    place = section.article.section
    section_title = place.translations.get(language="en").title
    category_title = place.category.translations.get(language="en").title
    assert result.index(category_title) < result.index(section_title)
    with translation.override("en"):
        assert f'href="{reverse("category_detail", args=[place.category_id, slug_of(place.category, "en")])}"' in result


def slug_of(owner, language: str) -> str:
    return owner.translations.get(language=language).slug


def test_an_elided_letter_does_not_mark_every_word_it_starts(section):
    write(section, "ecran", "fr", "Une capture d’écran", "Une capture d’écran de la page, depuis le bureau.")  # noqa: RUF001  # the articles' typographic apostrophe

    [hit] = search_articles("capture d'écran", "fr")

    assert "<mark>depuis</mark>" not in hit.excerpt_html
    assert "<mark>capture</mark>" in hit.excerpt_html
