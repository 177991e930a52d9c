"""The workspace search finds tickets by their words (subject, every message, notes included), number and fields.

The same tests run on SQLite (FTS5) and on PostgreSQL (tsvector), in CI.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import Organisation, Role, User
from comptoir.portal.erasure import account_erase
from comptoir.tickets import search_index
from comptoir.tickets.merging import tickets_merge
from comptoir.tickets.models import Channel, Message, Priority, Status, SupportGroup, Ticket
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent
from comptoir.workspace.paging import RANKED_ROWS, offset_page

pytestmark = pytest.mark.django_db


def search(client, typed: str, view: str = "all", **extra) -> list[int]:
    with translation.override("en"):
        address = reverse("agent_tickets")
    response = client.get(address, {"view": view, "q": typed, **extra})
    assert response.status_code == 200, response.status_code
    return sorted(int(ref) for ref in re.findall(r'<span class="ref">#(\d+)</span>', response.content.decode()))


@pytest.fixture(autouse=True)
def _no_share_kept():
    """Each test measures its words' shares afresh (a process keeps them a few minutes: search_index.words_share)."""
    search_index.forget_shares()
    yield
    search_index.forget_shares()


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def desk(make_ticket, agent):
    """Four tickets with words in their subjects, descriptions, replies and notes."""
    export = make_ticket(email="claire@example.org", name="Claire Dupont", subject="L'export échoue")
    ticket_update_by_agent(export, agent=agent, body="Vérifié: le fichier CSV est vide.", is_public=False)
    invoice = make_ticket(
        email="bob@example.net", name="Bob Stone", subject="Invoice missing", description="Nothing for February."
    )
    ticket_reply_by_requester(ticket=invoice, body="The invoices for March never arrived.", channel=Channel.WEB)
    password = make_ticket(
        email="alice@example.org", subject="Mot de passe oublié", description="Je ne peux pas créer de compte."
    )
    ticket_update_by_agent(
        password, agent=agent, assignee=agent, priority=Priority.URGENT, status=Status.PENDING, body="Lien envoyé."
    )
    quiet = make_ticket(email="dan@example.com", subject="Question", description="Where is the export button?")
    return {"export": export, "invoice": invoice, "password": password, "quiet": quiet}


def refs(*tickets: Ticket) -> list[int]:
    return sorted(ticket.reference for ticket in tickets)


def test_a_word_only_an_internal_note_holds_finds_its_ticket(signed_in, desk):
    assert search(signed_in, "CSV") == refs(desk["export"])


def test_words_are_found_in_subjects_descriptions_and_replies_without_their_accents(signed_in, desk):
    assert search(signed_in, "echoue") == refs(desk["export"])  # subject, typed without the accent
    assert search(signed_in, "creer") == refs(desk["password"])  # description
    assert search(signed_in, "march") == refs(desk["invoice"])  # a reply
    assert search(signed_in, "invoices") == refs(desk["invoice"])  # the subject says "Invoice"


def test_every_word_must_be_on_the_ticket_but_may_be_in_different_messages(signed_in, desk):
    assert search(signed_in, "invoice arrived") == refs(desk["invoice"])  # subject + reply
    assert search(signed_in, "invoice password") == []


def test_a_phrase_matches_its_words_in_order_and_a_minus_leaves_out(signed_in, desk):
    assert search(signed_in, '"fichier CSV"') == refs(desk["export"])
    assert search(signed_in, '"CSV fichier"') == []
    assert search(signed_in, "export") == refs(desk["export"], desk["quiet"])
    assert search(signed_in, "export -CSV") == refs(desk["quiet"])


def test_words_that_look_like_the_search_engine_s_syntax_are_only_words(signed_in, desk):
    for typed in (
        'export" OR "invoice',
        "NEAR(export invoice)",
        "export*",
        "'; DROP TABLE tickets_ticket; --",
        "(",
        "&|!:*",
    ):
        search(signed_in, typed)  # answers 200, whatever it finds
    assert Ticket.objects.count() == 4


def test_filters_narrow_and_combine(signed_in, desk, agent):
    every = refs(*desk.values())
    assert search(signed_in, "status:pending") == refs(desk["password"])
    assert search(signed_in, "-status:pending") == refs(desk["export"], desk["invoice"], desk["quiet"])
    assert search(signed_in, "status:unsolved") == every
    assert search(signed_in, "assignee:me") == refs(desk["password"])
    assert search(signed_in, "assignee:none") == refs(desk["export"], desk["invoice"], desk["quiet"])
    assert search(signed_in, "priority:urgent") == refs(desk["password"])
    assert search(signed_in, "priority:urgente") == refs(desk["password"])
    assert search(signed_in, "requester:claire@example.org") == refs(desk["export"])
    assert search(signed_in, "requester:Stone") == refs(desk["invoice"])
    assert search(signed_in, "export requester:dan@example.com") == refs(desk["quiet"])
    # An address typed alone is who asked: the same as requester:, whatever its case, and never look-alikes.
    assert search(signed_in, "Claire@Example.org") == refs(desk["export"])
    assert search(signed_in, "-claire@example.org") == refs(desk["invoice"], desk["password"], desk["quiet"])
    assert search(signed_in, "nobody@example.org") == []


def test_group_and_organisation_filters(signed_in, desk, agent):
    billing = SupportGroup.objects.create(name="Billing")
    ticket_update_by_agent(desk["invoice"], agent=agent, group=billing)
    acme = Organisation.objects.create(name="Acme")
    User.objects.filter(email="claire@example.org").update(organisation=acme)

    assert search(signed_in, "group:billing") == refs(desk["invoice"])
    assert search(signed_in, 'org:"acme"') == refs(desk["export"])


def test_plain_words_find_the_tickets_of_the_requester_or_organisation_they_name(signed_in, desk, make_ticket):
    acme = Organisation.objects.create(name="Acme Industries")
    User.objects.filter(email="bob@example.net").update(organisation=acme)
    second = make_ticket(email="claire@example.org", subject="Another question")

    # The name, whole or a part, in any case; the words need not be on the ticket.
    assert search(signed_in, "Claire Dupont") == refs(desk["export"], second)
    assert search(signed_in, "dupont") == refs(desk["export"], second)
    assert search(signed_in, '"claire dupont"') == refs(desk["export"], second)
    assert search(signed_in, "acme") == refs(desk["invoice"])
    assert search(signed_in, "Acme industries") == refs(desk["invoice"])
    # A name with a field: Claire's tickets that are still new; a minus leaves her tickets out.
    assert search(signed_in, "dupont -another") == refs(desk["export"])
    assert desk["export"].reference not in search(signed_in, "-dupont")
    # Words of a name and of a ticket together are the ticket's words: no ticket holds both.
    assert search(signed_in, "claire invoice") == []
    # Three letters name someone already.
    assert search(signed_in, "sto") == refs(desk["invoice"])


def test_dates_are_days_in_the_agent_s_time_zone(signed_in, desk):
    old = desk["quiet"]
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    cutoff = (timezone.localdate() - timedelta(days=10)).isoformat()

    assert search(signed_in, f"created<{cutoff}") == refs(old)
    assert search(signed_in, f"created>{cutoff}") == refs(desk["export"], desk["invoice"], desk["password"])
    assert search(signed_in, f"created:{timezone.localdate().isoformat()}") == refs(
        desk["export"], desk["invoice"], desk["password"]
    )


def test_a_number_alone_opens_its_ticket_and_an_unknown_number_finds_nothing(signed_in, desk):
    with translation.override("en"):
        address = reverse("agent_tickets")
        target = reverse("agent_ticket", args=[desk["invoice"].reference])
    response = signed_in.get(address, {"q": f"#{desk['invoice'].reference}"})
    assert (response.status_code, response.headers["Location"]) == (302, target)
    assert search(signed_in, "999999") == []


def test_what_the_search_does_not_understand_is_said_and_escaped(signed_in, desk):
    with translation.override("en"):
        address = reverse("agent_tickets")
    page = signed_in.get(address, {"view": "all", "q": "colour:<b>red</b> status:sideways"}).content.decode()
    assert "is not a filter this search knows" in page
    assert "“sideways” is not a status this search knows" in page
    assert "<b>red</b>" not in page and "&lt;b&gt;red&lt;/b&gt;" in page


def test_the_search_stays_within_the_view_and_keeps_itself_on_the_next_page(signed_in, make_ticket, agent):
    for n in range(30):
        make_ticket(email=f"p{n}@example.org", subject=f"Printer jam {n}")
    make_ticket(subject="Something else")
    with translation.override("en"):
        address = reverse("agent_tickets")
    first = signed_in.get(address, {"view": "all", "q": "printer"}).content.decode()
    assert first.count('<span class="ref">') == 25
    following = re.search(r'rel="next" href="\?([^"]+)"', first)
    assert following is not None and "q=printer" in following.group(1)
    second = signed_in.get(address + "?" + following.group(1).replace("&amp;", "&")).content.decode()
    assert second.count('<span class="ref">') == 5
    assert search(signed_in, "printer", view="mine") == []


def test_an_erased_requester_s_words_are_no_longer_found(signed_in, desk):
    assert search(signed_in, "March") == refs(desk["invoice"])
    Message.objects.filter(ticket=desk["invoice"]).update(body="[erased]")
    # No ticket holds the word now (on PostgreSQL, Alice Martin's tickets are listed as looking like it).
    assert desk["invoice"].reference not in search(signed_in, "March")
    account_erase(user=User.objects.get(email="claire@example.org"))
    assert search(signed_in, "CSV") == refs(desk["export"])  # an agent's note is not the requester's data


def test_a_requester_cannot_search(client, desk):
    client.force_login(User.objects.get(email="claire@example.org"))
    with translation.override("en"):
        assert client.get(reverse("agent_tickets"), {"q": "CSV"}).status_code == 403


def test_search_runs_the_list_s_queries(signed_in, desk, django_assert_num_queries):
    from tests.workspace.test_workspace_queries import LIST_QUERIES

    with translation.override("en"):
        address = reverse("agent_tickets")
    # Filters and words are in the rows' and the counts' queries; the excerpts of the rows
    # shown are one more, whatever their number; on PostgreSQL, a phrase's share is measured
    # first, one more (search_index.words_share; "export" alone is not measured).
    phrase_probe = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(LIST_QUERIES + 1 + phrase_probe):
        response = signed_in.get(
            address, {"view": "all", "q": 'export -CSV status:unsolved assignee:none "export button"'}
        )
    assert response.status_code == 200
    assert response.content.decode().count('<p class="excerpt small">') == 1
    with django_assert_num_queries(LIST_QUERIES):
        response = signed_in.get(address, {"view": "all", "q": "status:new -CSV"})  # no words sought: no excerpts
    assert response.content.decode().count("data-bulk-row") == 2


def test_each_row_shows_where_the_words_are_escaped_and_marked(signed_in, make_ticket, agent):
    ticket = make_ticket(subject="Broken page", description="Nothing to see.")
    ticket_update_by_agent(
        ticket, agent=agent, body="The <script>alert(1)</script> widget breaks the invoice page.", is_public=False
    )
    with translation.override("en"):
        page = signed_in.get(reverse("agent_tickets"), {"view": "all", "q": "widget"}).content.decode()
    excerpt = page.split('<p class="excerpt small">')[1].split("</p>")[0]
    assert "<mark>widget</mark>" in excerpt
    # The note's markup is text: escaped on SQLite, left out of the passage by PostgreSQL's parser.
    assert "<script" not in excerpt and "</script" not in excerpt


def test_every_agent_page_has_one_search_box_in_its_header(signed_in, desk):
    with translation.override("en"):
        pages = [
            reverse("agent_tickets"),
            reverse("agent_ticket", args=[desk["export"].reference]),
            reverse("agent_quarantine"),
            reverse("agent_deflection"),
        ]
        action = reverse("agent_tickets")
        searched = reverse("agent_tickets") + "?view=open&q=export"
    editor = User.objects.create_user("editor@example.com", name="Dominique", role=Role.ADMIN)
    for address in pages:
        html = signed_in.get(address).content.decode()
        assert f'<form method="get" action="{action}" class="header-search" role="search">' in html, address
        assert html.count('id="workspace-q"') == 1, address
        # The agent's shell, not the Help Center's: no captcha form, no guest's link in a footer.
        assert "New support ticket" not in html and "site-footer" not in html, address
    # On the list, a search under way stays in its view and shows what was typed, with the help linked.
    html = signed_in.get(searched).content.decode()
    assert '<input type="hidden" name="view" value="open">' in html
    assert 'value="export"' in html and 'aria-describedby="search-help"' in html
    signed_in.force_login(editor)
    with translation.override("en"):
        html = signed_in.get(reverse("editor_articles")).content.decode()
    assert 'class="header-search"' in html and "New support ticket" not in html


def test_tag_finds_the_tickets_carrying_it_and_minus_tag_leaves_them_out(signed_in, desk, agent):
    ticket_update_by_agent(desk["invoice"], agent=agent, add_tags=["Refund", "vip"])
    ticket_update_by_agent(desk["quiet"], agent=agent, add_tags=["refund"])
    assert search(signed_in, "tag:refund") == refs(desk["invoice"], desk["quiet"])
    assert search(signed_in, "tag:REFUND tag:vip") == refs(desk["invoice"])
    assert search(signed_in, "-tag:refund") == refs(desk["export"], desk["password"])
    assert search(signed_in, "tag:unknown") == []
    # A tag is a filter like the others: with words, in a view.
    assert search(signed_in, "tag:refund export") == refs(desk["quiet"])
    assert search(signed_in, "tag:refund", view="mine") == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers; PostgreSQL keeps its own with its tables")
def test_every_search_trigger_is_there_after_all_migrations():
    # SQLite drops a table's triggers when a migration remakes the table (comptoir/tickets/search_index.py).
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tickets_%_fts_%'")
        names = sorted(name for (name,) in cursor.fetchall())
    assert names == sorted(search_index.SQLITE_TRIGGER_NAMES)


# --- Relevance ---------------------------------------------------------------------------------


def listed(client, typed: str, view: str = "all", **extra) -> tuple[list[int], str]:
    """The ticket numbers of the page in the order shown, and the page."""
    with translation.override("en"):
        address = reverse("agent_tickets")
    response = client.get(address, {"view": view, "q": typed, **extra})
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    return [int(ref) for ref in re.findall(r'<span class="ref">#(\d+)</span>', page)], page


def following(client, page: str, rel: str = "next") -> str:
    link = re.search(rf'rel="{rel}" href="\?([^"]+)"', page)
    assert link is not None, rel
    with translation.override("en"):
        address = reverse("agent_tickets") + "?" + link.group(1).replace("&amp;", "&")
    return client.get(address).content.decode()


def refs_shown(page: str) -> list[int]:
    return [int(ref) for ref in re.findall(r'<span class="ref">#(\d+)</span>', page)]


def dated(ticket: Ticket, days_ago: float) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(days=days_ago))


def test_by_relevance_a_subject_holding_the_word_ranks_above_a_message_holding_it_whatever_the_dates(
    signed_in, make_ticket, agent
):
    mentioned = make_ticket(email="a@example.org", subject="Question", description="Hello.")
    for n in range(3):
        ticket_update_by_agent(mentioned, agent=agent, body=f"Step {n}: restarted the router.", is_public=False)
    deep = "Long story. " * 300 + "Then the printer printed blank pages, printer after printer."
    ticket_reply_by_requester(ticket=mentioned, body=deep, channel=Channel.WEB)
    titled = make_ticket(email="b@example.org", subject="Printer offline", description="It stopped.")
    both = make_ticket(email="c@example.org", subject="Printer jammed", description="The printer beeps.")
    dated(mentioned, 0)
    dated(titled, 10)
    dated(both, 20)

    ranked, page = listed(signed_in, "printer", sort="relevance")
    assert ranked == [both.reference, titled.reference, mentioned.reference]
    assert '<option value="relevance" selected>Most relevant first</option>' in page
    # Newest first stays the list's sort, words or not.
    assert listed(signed_in, "printer")[0] == [mentioned.reference, titled.reference, both.reference]


def test_by_relevance_ties_go_newest_first_then_by_number(signed_in, make_ticket):
    same = [make_ticket(email=f"p{n}@example.org", subject="Printer jam") for n in range(3)]
    dated(same[0], 1)
    dated(same[1], 3)
    Ticket.objects.filter(pk=same[2].pk).update(updated_at=Ticket.objects.get(pk=same[1].pk).updated_at)

    ranked, _page = listed(signed_in, "printer", sort="relevance")
    assert ranked == [same[0].reference, same[2].reference, same[1].reference]


def test_by_relevance_without_words_lists_newest_first(signed_in, desk):
    for days_ago, name in enumerate(("invoice", "quiet", "export", "password")):
        dated(desk[name], days_ago)
    newest = [desk[name].reference for name in ("invoice", "quiet", "export", "password")]

    assert listed(signed_in, "status:unsolved", sort="relevance")[0] == newest
    assert listed(signed_in, "-CSV", sort="relevance")[0] == [ref for ref in newest if ref != desk["export"].reference]
    numbers = f"#{desk['password'].reference} #{desk['invoice'].reference}"
    assert listed(signed_in, numbers, sort="relevance")[0] == [desk["invoice"].reference, desk["password"].reference]


def test_paging_through_results_by_relevance_shows_each_ticket_once_best_first(signed_in, make_ticket):
    titled, mentioned = [], []
    for n in range(60):
        if n % 3 == 0:
            titled.append(make_ticket(email=f"p{n}@example.org", subject=f"Printer {n}"))
        else:
            filler = " again" * (n % 5)
            mentioned.append(
                make_ticket(email=f"p{n}@example.org", subject=f"Ticket {n}", description=f"The printer{filler}.")
            )
    for n, ticket in enumerate(titled + mentioned):
        dated(ticket, (n * 7) % 11)  # dates out of step with the numbers, several the same

    first = listed(signed_in, "printer", sort="relevance")[1]
    second = following(signed_in, first)
    third = following(signed_in, second)
    pages = [refs_shown(page) for page in (first, second, third)]
    assert [len(page) for page in pages] == [25, 25, 10]
    assert 'rel="next"' not in third
    shown = [ref for page in pages for ref in page]
    assert sorted(shown) == sorted(ticket.reference for ticket in titled + mentioned)
    # The subjects first, newest first among them (their scores are the same), then the messages.
    by_date = Ticket.objects.filter(pk__in=[t.pk for t in titled]).order_by("-updated_at", "-id")
    assert shown[: len(titled)] == [ticket.reference for ticket in by_date]
    # Back: the pages are the same.
    assert refs_shown(following(signed_in, third, "prev")) == pages[1]
    assert refs_shown(following(signed_in, second, "prev")) == pages[0]


def test_a_search_by_relevance_runs_the_same_queries_on_every_page(signed_in, make_ticket, django_assert_num_queries):
    from tests.workspace.test_workspace_queries import LIST_QUERIES

    for n in range(30):
        make_ticket(email=f"p{n}@example.org", subject=f"Printer jam {n}")
    with translation.override("en"):
        address = reverse("agent_tickets")
    # The list's queries, its rows read in two (the page's ticket ids in order of relevance, then
    # those tickets), and the excerpts of the rows shown.
    with django_assert_num_queries(LIST_QUERIES + 2):
        first = signed_in.get(address, {"view": "all", "q": "printer", "sort": "relevance"}).content.decode()
    link = re.search(r'rel="next" href="\?([^"]+)"', first)
    assert link is not None
    with django_assert_num_queries(LIST_QUERIES + 2):
        second = signed_in.get(address + "?" + link.group(1).replace("&amp;", "&")).content.decode()
    assert len(refs_shown(first)) == 25 and len(refs_shown(second)) == 5


def test_ranked_pages_go_by_position_up_to_a_cap():
    rows = list(range(1000))

    def fetch(start: int, count: int) -> list[int]:
        return rows[start : start + count]

    first = offset_page(fetch, size=25)
    assert (first.rows[0], first.next_cursor, first.previous_cursor, first.is_first) == (0, "25", None, True)
    second = offset_page(fetch, after="25", size=25)
    assert (second.rows[0], second.next_cursor, second.previous_cursor) == (25, "50", "25")
    assert offset_page(fetch, before="25", size=25).rows == first.rows
    last = offset_page(fetch, after=str(RANKED_ROWS - 25), size=25)
    assert last.rows[-1] == RANKED_ROWS - 1 and last.next_cursor is None
    # Not a position of a ranked page (a keyset cursor, past the cap, nonsense): the first page.
    for cursor in ("1733000000000000.12", str(RANKED_ROWS), "-25", "\uff12\uff15", "abc"):
        assert offset_page(fetch, after=cursor, size=25).rows == first.rows, cursor


def test_by_relevance_only_the_newest_matches_are_ranked(signed_in, make_ticket, monkeypatch):
    old_title = make_ticket(email="a@example.org", subject="Printer offline", description="It stopped.")
    mentions = [make_ticket(email=f"m{n}@example.org", subject="Question", description="A printer.") for n in range(2)]
    dated(old_title, 30)
    dated(mentions[0], 2)
    dated(mentions[1], 1)

    assert listed(signed_in, "printer", sort="relevance")[0][0] == old_title.reference
    # Ranking every match of a common word at a million tickets takes seconds: only the newest are ranked.
    monkeypatch.setattr(search_index, "RANKED_AMONG", 2)
    assert listed(signed_in, "printer", sort="relevance")[0] == [mentions[1].reference, mentions[0].reference]


def test_a_merged_ticket_s_words_move_to_its_target(signed_in, make_ticket, agent):
    source = make_ticket(email="a@example.org", subject="Scanner jam", description="The tray squeaks loudly.")
    target = make_ticket(email="a@example.org", subject="Printer", description="Nothing prints.")

    tickets_merge([source], target, agent=agent, tell_requesters=False)

    # The source keeps its subject; its messages' words are the target's now.
    assert search(signed_in, "squeaks") == refs(target)
    assert search(signed_in, "scanner") == refs(source)
    assert search(signed_in, '"tray squeaks"') == refs(target)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's tsvector limits (1 MB, 16,383 positions)")
def test_a_ticket_too_wordy_for_its_index_still_takes_messages_and_finds_phrases(signed_in, make_ticket, agent):
    ticket = make_ticket(email="a@example.org", subject="Logs attached", description="Here come the logs.")
    # Past 16,383 words a tsvector's positions stop counting: a phrase is confirmed on the message.
    ticket_update_by_agent(ticket, agent=agent, body="lorem " * 17_000, is_public=False)
    ticket_reply_by_requester(ticket=ticket, body="The blue screen shows again.", channel=Channel.WEB)
    assert search(signed_in, '"blue screen"') == refs(ticket)
    # Words past a tsvector's 1 MB: the message lands and the ticket is still found by the rest.
    for n in range(12):
        log = " ".join(f"w{n}x{i:05d}{'q' * 20}" for i in range(3_000))
        ticket_reply_by_requester(ticket=ticket, body=log, channel=Channel.WEB)
    assert Message.objects.filter(ticket=ticket).count() == 15
    assert search(signed_in, "logs") == refs(ticket)
    assert search(signed_in, "w0x00001" + "q" * 20) == refs(ticket)
    # The limit is real: the last message's words did not fit in the ticket's index (docs/search.md).
    assert search(signed_in, "w11x00001" + "q" * 20) == []


# --- Typos -------------------------------------------------------------------------------------

ONLY_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="trigram similarity is PostgreSQL's (pg_trgm): on SQLite a search has no typo fallback",
)


@ONLY_POSTGRESQL
def test_a_word_no_ticket_holds_finds_tickets_whose_requester_or_subject_looks_like_it(signed_in, desk, make_ticket):
    dubois = make_ticket(email="jean@example.fr", name="Jean Dubois", subject="Colis perdu", description="Rien reçu.")

    misspelt = make_ticket(email="eve@example.org", name="Eve", subject="The cofee machine leaks", description="Help.")

    assert search(signed_in, "Dubios") == refs(dubois)
    assert search(signed_in, "coffee") == refs(misspelt)
    found, page = listed(signed_in, "invoce")
    assert found == [desk["invoice"].reference]
    assert "No ticket holds “invoce”; showing tickets whose subject or requester looks like it." in page
    assert '<p class="excerpt small">' not in page
    # The view, the filters and the words left out apply to the look-alikes too.
    assert search(signed_in, "Dubios", view="mine") == []
    assert search(signed_in, "invoce status:pending") == []
    assert search(signed_in, "invoce -February") == []
    # A ticket holding the words is never mixed with look-alikes.
    assert search(signed_in, "Colis") == refs(dubois)


@ONLY_POSTGRESQL
def test_look_alikes_are_paged_and_ranked_like_any_search(signed_in, make_ticket, django_assert_num_queries):
    from tests.workspace.test_workspace_queries import LIST_QUERIES

    close = [make_ticket(email=f"p{n}@example.org", subject=f"Invoice {n}") for n in range(27)]
    # Addresses are not searched as words: only its look is found.
    closest = make_ticket(email="invoce@example.org", name="Q", subject="Printer", description="It jams.")
    dated(closest, 5)
    with translation.override("en"):
        address = reverse("agent_tickets")

    # The list's queries but the rows holding the words (the count said there are none): the
    # trigram threshold set on the connection, then the look-alikes (and their tags).
    with django_assert_num_queries(LIST_QUERIES + 1):
        first = signed_in.get(address, {"view": "all", "q": "invoce"}).content.decode()
    assert "looks like it" in first and refs_shown(first)[0] != closest.reference
    second = following(signed_in, first)
    assert "looks like it" in second
    assert sorted(refs_shown(first) + refs_shown(second)) == sorted(t.reference for t in [*close, closest])
    # By relevance the closest comes first, whatever its date.
    assert listed(signed_in, "invoce", sort="relevance")[0][0] == closest.reference


def test_words_no_ticket_holds_or_looks_like_show_the_usual_empty_state(signed_in, desk):
    found, page = listed(signed_in, "xylophone")
    assert found == [] and "No tickets here." in page and "looks like it" not in page
    assert '<span class="muted">(0)</span>' in page


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL lists look-alikes (pg_trgm)")
def test_on_sqlite_a_typo_finds_nothing(signed_in, desk):
    found, page = listed(signed_in, "invoce")
    assert found == [] and "No tickets here." in page and "looks like it" not in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement triggers and row locks")
@pytest.mark.django_db(transaction=True)
def test_a_ticket_s_words_rewritten_while_a_reply_holds_it_keep_the_reply_s(client, make_ticket, agent):
    """A rewrite (an erasure's, a merge's) waiting on a ticket a reply holds reads the messages once it gets it."""
    import threading

    from django.db import connections, transaction

    ticket = make_ticket(email="a@example.org", subject="Printer", description="It beeps.")
    first = ticket.messages.get()
    replied, release = threading.Event(), threading.Event()

    def reply() -> None:
        with transaction.atomic():
            ticket_reply_by_requester(ticket=ticket, body="Zanzibar again.", channel=Channel.WEB)
            replied.set()
            release.wait(10)  # the ticket's row stays locked until the rewrite waits for it
        connections.close_all()

    def release_once_the_rewrite_waits() -> None:
        with connections["default"].cursor() as cursor:
            for _attempt in range(200):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.05)
        release.set()
        connections.close_all()

    replier = threading.Thread(target=reply)
    replier.start()
    assert replied.wait(10)
    releaser = threading.Thread(target=release_once_the_rewrite_waits)
    releaser.start()
    Message.objects.filter(pk=first.pk).update(body="It buzzes.")  # rewrites the ticket's words: waits
    replier.join(10)
    releaser.join(10)

    client.force_login(agent)
    assert search(client, "zanzibar") == refs(ticket)
    assert search(client, "buzzes") == refs(ticket)
