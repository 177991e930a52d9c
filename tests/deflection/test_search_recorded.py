"""A Help Center search that finds nothing is kept for the "articles to write next"."""

from __future__ import annotations

import pytest

from comptoir.deflection.models import DeflectionEvent, EventKind
from tests.deflection.conftest import url

pytestmark = pytest.mark.django_db


def test_it_records_a_search_without_a_result(client, write):
    write("export", "en", "Export", "Exporting data.")

    client.get(url("search", "fr"), {"q": "  Remboursement   COMMANDE "})

    event = DeflectionEvent.objects.get()
    assert (event.kind, event.query, event.language, event.visit, event.article) == (
        EventKind.SEARCH,
        "remboursement commande",
        "fr",
        "",
        None,
    )


def test_it_records_nothing_when_the_search_finds_an_article_or_is_empty(client, write):
    write("export", "en", "Export", "Exporting data.")

    client.get(url("search"), {"q": "export"})
    client.get(url("search"), {"q": ""})
    client.get(url("search"), {"q": "   "})
    client.get(url("search"), {"q": "?!*"})

    assert not DeflectionEvent.objects.exists()


def test_it_costs_one_insert_on_a_search_without_a_result(client, django_assert_num_queries):
    # In each language, 1 the search and 1 the words close to the typed ones (none close enough:
    # no corrected search); then the service's savepoint (the test runs in a transaction), the
    # INSERT, its release.
    with django_assert_num_queries(2 + 2 + 3):
        client.get(url("search"), {"q": "nothing matches"})
