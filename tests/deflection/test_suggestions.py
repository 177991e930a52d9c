"""The ticket form's suggestions: up to five published articles in the page's language for the subject."""

from __future__ import annotations

import json

import pytest

from comptoir.deflection.models import DeflectionEvent, EventKind
from tests.deflection.conftest import OTHER_VISIT, VISIT, url

pytestmark = pytest.mark.django_db


def suggest(client, q: str, language: str = "en", visit: str = VISIT):
    return client.get(url("ticket_suggestions", language), {"q": q, "visit": visit})


def test_it_suggests_matching_articles_in_the_page_language(client, write):
    write("export", "en", "Exporting your invoices", "Click **Export** to download a <CSV> file.")
    write("export", "fr", "Exporter vos factures", "Cliquez sur Exporter.")

    response = suggest(client, "export")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    articles = response.json()["articles"]
    assert [a["title"] for a in articles] == ["Exporting your invoices"]
    assert articles[0]["url"] == "/en/articles/{}-export/".format(articles[0]["id"])
    french = suggest(client, "exporter", language="fr").json()["articles"]
    assert [a["title"] for a in french] == ["Exporter vos factures"]
    assert french[0]["url"].startswith("/fr/articles/")


def test_it_sends_plain_text_without_html(client, write):
    write("export", "en", "Exporting <b>invoices</b>", "Click Export & wait: a <script>x</script> CSV file arrives.")

    response = suggest(client, "export")

    article = response.json()["articles"][0]
    assert article["title"] == "Exporting <b>invoices</b>"  # text, which the script sets with textContent
    assert "<mark>" not in article["excerpt"]
    assert "&amp;" not in article["excerpt"]
    assert "Export & wait" in article["excerpt"]
    # Nothing in the JSON itself can be taken for markup, even by a careless reader.
    assert not {"<", ">", "&"} & set(response.content.decode())


def test_it_suggests_five_articles_at_most(client, write):
    for n in range(8):
        write(f"export-{n}", "en", f"Export {n}", "Exporting data.")

    assert len(suggest(client, "export").json()["articles"]) == 5


def test_it_leaves_out_unpublished_articles(client, write):
    write("draft", "en", "Export draft", "Exporting data.", published=False)
    write("live", "en", "Export live", "Exporting data.")

    assert [a["title"] for a in suggest(client, "export").json()["articles"]] == ["Export live"]


def test_it_answers_nothing_and_records_nothing_under_three_characters(client, write):
    write("export", "en", "Export", "Exporting data.")

    for q in ("", "e", "ex", "  ex  "):
        assert suggest(client, q).json() == {"articles": []}
    assert not DeflectionEvent.objects.exists()


def test_it_refuses_a_missing_or_malformed_visit(client):
    for visit in ("", "abc", VISIT.upper(), VISIT + "0", "../" + VISIT[3:]):
        assert suggest(client, "export", visit=visit).status_code == 400
    assert not DeflectionEvent.objects.exists()


def test_it_records_suggestions_shown_and_subjects_without_article(client, write):
    write("export", "en", "Export", "Exporting data.")

    suggest(client, "Export  DATA")
    suggest(client, "Refund my order", visit=OTHER_VISIT)

    rows = set(DeflectionEvent.objects.values_list("kind", "query", "visit", "language", "article"))
    assert rows == {
        (EventKind.SUGGESTIONS_SHOWN, "export data", VISIT, "en", None),
        (EventKind.NO_SUGGESTION, "refund my order", OTHER_VISIT, "en", None),
    }


def test_it_records_nothing_for_a_subject_without_words(client):
    assert suggest(client, "???").json() == {"articles": []}
    assert not DeflectionEvent.objects.exists()


def test_it_records_the_same_subject_once_per_visit(client, write):
    suggest(client, "refund my order")
    suggest(client, "something else")
    suggest(client, "Refund  my order")

    assert sorted(DeflectionEvent.objects.values_list("query", flat=True)) == ["refund my order", "something else"]


def test_it_keeps_one_row_while_the_subject_is_being_typed(client, write):
    write("export", "en", "Export", "Exporting data.")

    for q in ("ref", "refund", "refund my", "export"):
        suggest(client, q)

    # "ref" grew into "refund my", then a different subject was typed.
    rows = list(DeflectionEvent.objects.order_by("pk").values_list("kind", "query"))
    assert rows == [(EventKind.NO_SUGGESTION, "refund my"), (EventKind.SUGGESTIONS_SHOWN, "export")]


def test_it_does_not_let_a_visit_write_without_end(client):
    from comptoir.deflection.services import MAX_EVENTS_PER_VISIT

    for n in range(MAX_EVENTS_PER_VISIT + 5):
        assert suggest(client, f"subject {n} {'x' * (n % 3)}").status_code == 200
    assert DeflectionEvent.objects.count() == MAX_EVENTS_PER_VISIT


def test_it_stops_recording_past_the_limit_of_one_address_but_still_answers(client, write, monkeypatch):
    monkeypatch.setattr("comptoir.deflection.views.MAX_EVENTS_PER_IP", 2)
    write("export", "en", "Export", "Exporting data.")

    for q, visit in (("export", VISIT), ("exporting", OTHER_VISIT), ("export data", "1" * 32)):
        response = suggest(client, q, visit=visit)
        assert json.loads(response.content)["articles"] != []

    assert DeflectionEvent.objects.count() == 2
