"""A phrase, words, and a name find the same tickets whichever way the database is asked (issue 15, at 1M tickets).

On PostgreSQL, a phrase or several words whose tickets are common enough are
read by walking the list's order (or the table, for a count) rather than from
the GIN index, and the newest matches to rank are looked for among recent
tickets first (comptoir.tickets.search_index.WordsSought, words_share measures
the share): each test here takes every way on a small desk and expects the
same tickets, in the same order. On SQLite (FTS5) there is one way, taken as
many times. Names are read through an ``ILIKE`` the trigram index serves: what
is typed is still text, never a pattern.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import Organisation, User
from comptoir.tickets import search_index
from comptoir.tickets.models import Channel, Ticket
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent

pytestmark = pytest.mark.django_db

ONLY_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL chooses between the GIN index and a walk; SQLite has FTS5"
)
PHRASE = '"send us a screenshot"'


def listed(client, typed: str, **extra: str) -> list[int]:
    """The ticket numbers of the first page, in the order shown."""
    with translation.override("en"):
        address = reverse("agent_tickets")
    response = client.get(address, {"view": "all", "q": typed, **extra})
    assert response.status_code == 200, response.status_code
    return [int(ref) for ref in re.findall(r'<span class="ref">#(\d+)</span>', response.content.decode())]


def refs(*tickets: Ticket) -> list[int]:
    return sorted(ticket.reference for ticket in tickets)


def aged(ticket: Ticket, days: float) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(days=days))


@pytest.fixture(autouse=True)
def _no_share_kept():
    """Each test measures its words' shares afresh (the process keeps them a few minutes)."""
    search_index.forget_shares()
    yield
    search_index.forget_shares()


def measured_as(newest: float, sampled: float, tickets: float):
    """A words_share that answers these shares, with the histogram of the desk's update times as it is then."""

    def share(text: str, *, phrase: bool) -> search_index.Share:
        bounds = tuple(Ticket.objects.order_by("updated_at").values_list("updated_at", flat=True))
        return search_index.Share(newest=newest, sampled=sampled, tickets=tickets, updated_bounds=bounds)

    return share


@pytest.fixture(params=["index", "walk", "window"])
def plan(request, monkeypatch) -> str:
    """Words read from the GIN index, then by walking the list, then ranked from a window of recent tickets.

    PostgreSQL; SQLite has one way. As if at a million tickets: every statement walks (a share of one in
    two), none does (one in a million), or the rows of a page are read from the index and the two newest
    matches ranked (RANKED_AMONG) are looked for among the newest tickets (one in a thousand).
    """
    shares = {"index": (1e-6, 1e-6), "walk": (0.5, 0.5), "window": (0.001, 0.001)}[request.param]
    monkeypatch.setattr(search_index, "words_share", measured_as(*shares, tickets=1e6))
    if request.param == "window":
        monkeypatch.setattr(search_index, "RANKED_AMONG", 2)
    return str(request.param)


@pytest.fixture
def phrase_desk(make_ticket, agent) -> dict[str, Ticket]:
    """The phrase in a subject, in an agent's reply, its words apart, and in the wrong order."""
    titled = make_ticket(email="a@example.org", subject="Send us a screenshot", description="Please.")
    replied = make_ticket(email="b@example.org", subject="Blank page", description="Nothing shows.")
    ticket_update_by_agent(replied, agent=agent, body="Could you send us a screenshot of it?")
    apart = make_ticket(email="c@example.org", subject="Logs", description="Send the logs to us.")
    ticket_reply_by_requester(ticket=apart, body="Here is a screenshot.", channel=Channel.WEB)
    reversed_order = make_ticket(email="d@example.org", subject="Screenshot", description="A screenshot: send us one.")
    # Oldest to newest, so that newest first is a known order.
    for days, ticket in enumerate((reversed_order, apart, replied, titled)):
        aged(ticket, 10 - days)
    return {"titled": titled, "replied": replied, "apart": apart, "reversed": reversed_order}


def test_a_phrase_finds_its_words_adjacent_and_in_order_either_way(signed_in, phrase_desk, plan):
    desk = phrase_desk
    assert listed(signed_in, PHRASE) == [desk["titled"].reference, desk["replied"].reference]
    assert sorted(listed(signed_in, "screenshot send")) == refs(*desk.values())
    assert sorted(listed(signed_in, f"screenshot -{PHRASE}")) == refs(desk["apart"], desk["reversed"])


def test_a_phrase_ranks_the_same_either_way(signed_in, phrase_desk, plan):
    # The subject holding the phrase first, though the reply is on a newer ticket here.
    aged(phrase_desk["titled"], 30)
    ranked = listed(signed_in, PHRASE, sort="relevance")
    assert ranked == [phrase_desk["titled"].reference, phrase_desk["replied"].reference]


@ONLY_POSTGRESQL
def test_a_phrase_past_a_ticket_s_positions_is_confirmed_on_its_message_either_way(signed_in, make_ticket, agent, plan):
    ticket = make_ticket(email="a@example.org", subject="Logs attached", description="Here come the logs.")
    # Past 16,383 words a tsvector's positions stop counting: the ticket's own words cannot confirm it.
    ticket_update_by_agent(ticket, agent=agent, body="lorem " * 17_000, is_public=False)
    ticket_reply_by_requester(ticket=ticket, body="The blue screen shows again.", channel=Channel.WEB)
    other = make_ticket(email="b@example.org", subject="Screen", description="The screen is blue.")
    assert listed(signed_in, '"blue screen"') == [ticket.reference]
    assert listed(signed_in, '"screen is blue"') == [other.reference]


@ONLY_POSTGRESQL
def test_words_are_walked_for_only_when_common_among_the_newest_and_the_whole_desk(make_ticket, monkeypatch):
    # Sample every page: the table's file also holds the pages of earlier tests' rolled-back rows, and a
    # sample of some pages could miss these six tickets (the probe's sample is sized for a large desk).
    monkeypatch.setattr(search_index, "PROBE_PAGES", 1_000_000)
    common = [
        make_ticket(email=f"c{n}@example.org", subject="Question", description="Could you send us a screenshot?")
        for n in range(4)
    ]
    for n in range(2):
        make_ticket(email=f"n{n}@example.org", subject="Thanks", description="It works, send the bill.")
    share = search_index.words_share("send us a screenshot", phrase=True)
    assert (share.newest, share.sampled, share.tickets) == (4 / 6, 4 / 6, 6)
    # A small desk is read from the index whatever its words: walking would not read fewer rows.
    assert share.walk_pays(2) is False

    # As if it were large (the threshold falls, √(1.5 / 6)): four of six tickets hold the phrase, one "the bill".
    monkeypatch.setattr(search_index, "RANKED_AMONG", 1)
    assert share.walk_pays(1) is True
    assert search_index.words_share("send the bill", phrase=True).walk_pays(1) is False
    # Words typed one by one are measured together, in any order: "screenshot send" as four tickets hold it.
    assert search_index.words_share("screenshot send", phrase=False).walk_pays(1) is True
    assert search_index.words_share("bill screenshot", phrase=False).sampled == 0
    # Common on the desk but not among the newest tickets (a canned reply since retired): the index,
    # once the share kept is forgotten (a process keeps it SHARE_KEPT_SECONDS).
    for ticket in common:
        aged(ticket, 400)
    monkeypatch.setattr(search_index, "PROBE_NEWEST", 2)
    assert search_index.words_share("send us a screenshot", phrase=True).walk_pays(1) is True
    search_index.forget_shares()
    assert search_index.words_share("send us a screenshot", phrase=True).walk_pays(1) is False


@ONLY_POSTGRESQL
def test_a_kept_statement_follows_its_words_share(signed_in, phrase_desk, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    def statements_on_tickets(typed: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            listed(signed_in, typed)
        return [query["sql"] for query in captured.captured_queries if "tickets_ticket.search_vector" in query["sql"]]

    # The count and the rows are compiled once per process and kept: the plan the share chose is part of their key.
    monkeypatch.setattr(search_index, "words_share", measured_as(1e-6, 1e-6, tickets=1e6))
    assert [sql for sql in statements_on_tickets(PHRASE) if "COALESCE(" in sql] == []
    monkeypatch.setattr(search_index, "words_share", measured_as(0.5, 0.5, tickets=1e6))
    walked = [sql for sql in statements_on_tickets(PHRASE) if "COALESCE(" in sql]
    assert len(walked) == 2, walked  # the side bar's count of the list, and its rows


@ONLY_POSTGRESQL
def test_a_phrase_costs_one_query_more_to_choose_its_plan_and_a_left_out_one_none(
    signed_in, phrase_desk, django_assert_num_queries
):
    from tests.workspace.test_workspace_queries import LIST_QUERIES

    with translation.override("en"):
        address = reverse("agent_tickets")
    # The list's queries, the rows' excerpts, and the phrase's share (search_index.words_share)...
    with django_assert_num_queries(LIST_QUERIES + 2):
        signed_in.get(address, {"view": "all", "q": PHRASE})
    # ...which the process keeps a few minutes: the next page, or the same again, does not measure it.
    with django_assert_num_queries(LIST_QUERIES + 1):
        signed_in.get(address, {"view": "all", "q": PHRASE})
    with django_assert_num_queries(LIST_QUERIES + 1):
        signed_in.get(address, {"view": "all", "q": f"screenshot -{PHRASE}"})
    # Words sought one by one are measured together, once; a word alone is not measured.
    with django_assert_num_queries(LIST_QUERIES + 2):
        signed_in.get(address, {"view": "all", "q": "screenshot send"})
    with django_assert_num_queries(LIST_QUERIES + 1):
        signed_in.get(address, {"view": "all", "q": "screenshot"})


def test_words_sought_one_by_one_find_the_same_tickets_either_way(signed_in, phrase_desk, plan):
    desk = phrase_desk
    newest_first = [desk[key].reference for key in ("titled", "replied", "apart", "reversed")]
    assert listed(signed_in, "screenshot send") == newest_first
    assert listed(signed_in, "screenshot send -logs") == [
        desk[key].reference for key in ("titled", "replied", "reversed")
    ]
    ranked = listed(signed_in, "send screenshot", sort="relevance")
    # The subject holding both words first; then the newest (or, from a window, the newest two only).
    assert ranked[0] == desk["titled"].reference
    assert sorted(ranked) == sorted(newest_first[: len(ranked)])


def test_a_name_typed_with_a_pattern_s_characters_is_text(signed_in, make_ticket):
    bob = make_ticket(email="bob@example.org", name="Bob Moore", subject="Question", description="Hello.")
    percent = make_ticket(email="p@example.org", name="Ann 100% Lee", subject="Question", description="Hello.")
    # "b_m" would be "b", any letter, "m" as a LIKE pattern: "Bob Moore" holds "b m".
    assert listed(signed_in, "b_m") == []
    assert listed(signed_in, "bob") == [bob.reference]
    assert listed(signed_in, "100%") == [percent.reference]
    assert listed(signed_in, "0%l") == []


def test_a_name_finds_its_requesters_and_its_organisation_s_members_in_one_search(signed_in, make_ticket):
    acme = Organisation.objects.create(name="Acme Widgets")
    member = make_ticket(email="m@example.org", name="Mia Stone", subject="Question", description="Hello.")
    User.objects.filter(email="m@example.org").update(organisation=acme)
    named = make_ticket(email="w@example.org", name="Walt Widgets", subject="Other", description="Hi.")
    worded = make_ticket(email="x@example.org", name="Xavier", subject="Widgets broken", description="Hi.")
    make_ticket(email="y@example.org", name="Yann", subject="Nothing", description="Hi.")
    assert sorted(listed(signed_in, "widgets")) == refs(member, named, worded)
    assert sorted(listed(signed_in, "acme widgets")) == refs(member)
    assert sorted(listed(signed_in, "-widgets")) == sorted(
        ticket.reference for ticket in Ticket.objects.exclude(pk__in=[member.pk, named.pk, worded.pk])
    )
