"""Reading the workspace search box: words, phrases, filters, ticket numbers; nothing typed is an error."""

from __future__ import annotations

from datetime import date

import pytest

from comptoir.tickets.search_query import Filter, SearchQuery, Words, parse_search


def test_it_reads_words_phrases_filters_and_a_reference_together():
    query = parse_search('invoice "export fails" -tag:spam status:open assignee:me created>2026-11-01 #1042')

    assert query == SearchQuery(
        words=(Words("invoice"), Words("export fails", phrase=True)),
        filters=(
            Filter("tag", ":", "spam", negated=True),
            Filter("status", ":", "open"),
            Filter("assignee", ":", "me"),
            Filter("created", ">", "2026-11-01"),
        ),
        references=(1042,),
    )
    assert query.filters[3].day == date(2026, 11, 1)


@pytest.mark.parametrize(
    ("typed", "references", "words"),
    [
        ("1042", (1042,), ()),
        ("#1042", (1042,), ()),
        ("  #1042  ", (1042,), ()),
        ("error 404", (), (Words("error"), Words("404"))),
        ("#404 error", (404,), (Words("error"),)),
    ],
)
def test_a_number_alone_is_a_ticket_but_among_words_it_is_a_word(typed, references, words):
    query = parse_search(typed)
    assert (query.references, query.words) == (references, words)


def test_a_quoted_value_keeps_its_spaces_and_curly_quotes_count():
    query = parse_search('group:"Level 2" “mot de passe” -«spam»')
    assert query.filters == (Filter("group", ":", "Level 2"),)
    assert query.words == (Words("mot de passe", phrase=True), Words("spam", negated=True))


def test_an_unterminated_quote_ends_with_the_text():
    assert parse_search('"export fails').words == (Words("export fails", phrase=True),)


def test_names_are_read_in_any_case_and_with_their_aliases():
    query = parse_search("Status:OPEN org:Acme from:claire@example.org")
    assert query.filters == (
        Filter("status", ":", "OPEN"),
        Filter("organisation", ":", "Acme"),
        Filter("requester", ":", "claire@example.org"),
    )


@pytest.mark.parametrize("comparison", [">", "<", ">=", "<=", ":"])
def test_dates_compare_every_way(comparison):
    (found,) = parse_search(f"updated{comparison}2026-01-31").filters
    assert (found.name, found.comparison, found.day) == ("updated", comparison, date(2026, 1, 31))


@pytest.mark.parametrize(
    "typed",
    ["created>2026-13-01", "created>yesterday", "status>open", "colour:red", "priority:"],
)
def test_what_is_not_a_filter_is_searched_as_words_and_named(typed):
    query = parse_search(typed)
    assert query.filters == ()
    assert query.unknown == (typed,)
    (words,) = query.words
    assert words.text == " ".join(typed.replace(":", " ").replace(">", " ").split())


def test_addresses_are_words_not_filters():
    query = parse_search("https://example.org/invoice mailto:a@b.c")
    assert query.filters == () and query.unknown == ()
    assert [words.text for words in query.words] == ["https://example.org/invoice", "mailto:a@b.c"]


@pytest.mark.parametrize("typed", ["", "   ", "-", '""', "- -"])
def test_nothing_typed_is_an_empty_query(typed):
    assert parse_search(typed).empty


def test_an_address_alone_is_a_requester_filter_and_a_partial_one_stays_words():
    assert parse_search("claire@example.org").filters == (Filter("requester", ":", "claire@example.org"),)
    assert parse_search("-bob@example.fr invoice").filters == (Filter("requester", ":", "bob@example.fr", True),)
    assert parse_search("a@b").words == (Words("a@b"),) and parse_search("a@b").filters == ()
