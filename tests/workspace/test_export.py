"""The list as a CSV file (issue 20, "exported in reports"): the list's own tickets, all pages, with the fields.

The file holds exactly the tickets the list holds (its view, saved view, search and filters), read a batch
at a time at a fixed number of queries per batch; each cell as the agent reads it on the page; nothing a
spreadsheet would run as a formula; UTF-8 with a byte order mark.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import Organisation, Role, User
from comptoir.ticketforms.models import FieldKind, TicketField
from comptoir.ticketforms.services import ticket_values_record
from comptoir.tickets.models import Priority, Status, SupportGroup, Ticket
from comptoir.tickets.services import ticket_update_by_agent
from comptoir.workspace import export_views
from comptoir.workspace.models import SavedView, Visibility

pytestmark = pytest.mark.django_db


def url(name: str = "agent_tickets_export", language: str = "en") -> str:
    with translation.override(language):
        return reverse(name)


def read_csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel looks for
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def exported(client, language: str = "en", **params: str) -> list[list[str]]:
    response = client.get(url(language=language), params)
    assert response.status_code == 200, response.content
    return read_csv(response)


def references(rows: list[list[str]]) -> list[str]:
    return [row[0] for row in rows[1:]]


@pytest.fixture
def fields(db) -> dict[str, TicketField]:
    made = [
        TicketField(
            key="product",
            kind=FieldKind.DROPDOWN,
            label_en="Product",
            label_fr="Produit",
            choices=[["web", "Application web", "Web app"], ["mobile", "Application mobile", "Mobile app"]],
        ),
        TicketField(
            key="apps",
            kind=FieldKind.MULTI_SELECT,
            label_en="Apps",
            label_fr="Applis",
            choices=[["mail", "Courriel", "Mail"], ["cal", "Agenda", "Calendar"]],
        ),
        TicketField(key="urgent", kind=FieldKind.CHECKBOX, label_en="Urgent", label_fr="Urgent"),
        TicketField(key="since", kind=FieldKind.DATE, label_en="Since", label_fr="Depuis"),
        TicketField(key="amount", kind=FieldKind.DECIMAL, label_en="Amount", label_fr="Montant"),
        TicketField(key="risk", kind=FieldKind.TEXT, label_en="Fraud risk", visible_to_customers=False),
        TicketField(key="old", kind=FieldKind.TEXT, label_en="Old question", archived=True),
    ]
    return {field.key: field for field in TicketField.objects.bulk_create(made)}


def test_the_file_holds_each_ticket_s_columns_and_fields_as_the_page_shows_them(signed_in, agent, make_ticket, fields):
    group = SupportGroup.objects.create(name="Billing")
    ticket = make_ticket(subject="Refund, please")
    requester = ticket.requester
    requester.organisation = Organisation.objects.create(name="Acme")
    requester.save(update_fields=["organisation"])
    ticket_update_by_agent(
        ticket, agent=agent, assignee=agent, group=group, priority=Priority.HIGH, add_tags=["vip", "refund"]
    )
    ticket_values_record(
        ticket=ticket,
        values={
            fields["product"]: "web",
            fields["apps"]: ["mail", "cal"],
            fields["urgent"]: True,
            fields["since"]: "2026-03-01",
            fields["amount"]: "19.5",
            fields["risk"]: "low",
            fields["old"]: "kept, not exported",
        },
    )
    bare = make_ticket(email="bob@example.net", name="Bob", subject="Hello")
    Ticket.objects.filter(pk=bare.pk).update(status=Status.SOLVED, solved_at=timezone.now())

    english = exported(signed_in, view="all")
    french = exported(signed_in, language="fr", view="all")

    assert english[0] == [
        "Ticket number",
        "Subject",
        "Status",
        "Priority",
        "Type",
        "Group",
        "Assignee",
        "Requester",
        "Requester's e-mail address",
        "Organisation",
        "Tags",
        "Created",
        "Last update",
        "Solved",
        "Amount",
        "Apps",
        "Product",
        "Fraud risk",
        "Since",
        "Urgent",
    ]
    by_number = {row[0]: dict(zip(english[0], row, strict=True)) for row in english[1:]}
    row = by_number[str(ticket.reference)]
    ticket.refresh_from_db()
    assert row == {
        "Ticket number": str(ticket.reference),
        "Subject": "Refund, please",
        "Status": "Open",
        "Priority": "High",
        "Type": "Question",
        "Group": "Billing",
        "Assignee": "Camille",
        "Requester": "Alice Martin",
        "Requester's e-mail address": "alice@example.org",
        "Organisation": "Acme",
        "Tags": "refund, vip",
        "Created": timezone.localtime(ticket.created_at).isoformat(timespec="seconds"),
        "Last update": timezone.localtime(ticket.updated_at).isoformat(timespec="seconds"),
        "Solved": "",
        "Amount": "19.5",
        "Apps": "Mail, Calendar",
        "Product": "Web app",
        "Fraud risk": "low",
        "Since": "2026-03-01",
        "Urgent": "Yes",
    }
    # A ticket without values: empty cells, an unticked box reads "No"; a solved ticket's time is written.
    other = by_number[str(bare.reference)]
    assert (other["Product"], other["Apps"], other["Urgent"], other["Since"]) == ("", "", "No", "")
    assert other["Solved"].startswith(timezone.localdate().isoformat())
    # In French: the labels the agent reads, the decimal as French writes it, the date still ISO.
    french_row = dict(zip(french[0], next(r for r in french[1:] if r[0] == str(ticket.reference)), strict=True))
    assert (french_row["Produit"], french_row["Applis"], french_row["Urgent"]) == (
        "Application web",
        "Courriel, Agenda",
        "Oui",
    )
    assert (french_row["Montant"], french_row["Depuis"]) == ("19,5", "2026-03-01")


def test_the_response_is_a_dated_utf8_attachment_no_cache_keeps(signed_in, make_ticket):
    make_ticket(subject="Crème brûlée")
    response = signed_in.get(url(), {"view": "all"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="tickets-{timezone.localdate().isoformat()}.csv"'
    assert response["Cache-Control"] == "private, no-store"
    assert read_csv(response)[1][1] == "Crème brûlée"
    assert date.fromisoformat(response["Content-Disposition"].split("tickets-")[1][:10])


def test_it_exports_the_list_s_own_tickets_its_view_search_filters_and_order(signed_in, agent, make_ticket):
    mine = make_ticket(subject="Printer jammed")
    ticket_update_by_agent(mine, agent=agent, assignee=agent)
    other = make_ticket(email="bob@example.net", subject="Printer on fire")
    ticket_update_by_agent(other, agent=agent, priority=Priority.URGENT)
    unrelated = make_ticket(email="carla@example.org", subject="Invoice")
    solved = make_ticket(email="dan@example.org", subject="Printer fixed")
    Ticket.objects.filter(pk=solved.pk).update(status=Status.SOLVED)

    # The default view: my unsolved tickets.
    assert references(exported(signed_in)) == [str(mine.reference)]
    # A search, in a view, with a filter.
    assert set(references(exported(signed_in, view="all", q="printer"))) == {
        str(mine.reference),
        str(other.reference),
        str(solved.reference),
    }
    assert references(exported(signed_in, view="all", q="printer", status="solved")) == [str(solved.reference)]
    # The list's sort: the highest priority first.
    sorted_rows = references(exported(signed_in, view="open", sort="-priority"))
    assert sorted_rows[0] == str(other.reference)
    assert set(sorted_rows) == {str(mine.reference), str(other.reference), str(unrelated.reference)}


def test_a_saved_view_exports_its_own_tickets_and_another_agent_s_own_view_is_a_404(signed_in, agent, make_ticket):
    make_ticket(subject="Printer jammed")
    invoice = make_ticket(email="bob@example.net", subject="Invoice missing")
    view = SavedView.objects.create(name="Invoices", owner=agent, params="view=all&q=invoice")
    someone = User.objects.create_user("zoe@example.com", name="Zoé", role=Role.AGENT)
    theirs = SavedView.objects.create(name="Zoé's", owner=someone, params="view=all", visibility=Visibility.PERSONAL)

    assert references(exported(signed_in, saved=str(view.pk))) == [str(invoice.reference)]
    assert signed_in.get(url(), {"saved": str(theirs.pk)}).status_code == 404
    assert signed_in.get(url(), {"saved": "9" * 30}).status_code == 404


def test_every_page_is_exported_in_batches_at_three_queries_each(signed_in, make_ticket, fields, monkeypatch):
    monkeypatch.setattr(export_views, "BATCH_SIZE", 2)
    made = [make_ticket(email=f"p{n}@example.org", subject=f"Ticket {n}") for n in range(6)]
    for ticket in made:
        ticket_values_record(ticket=ticket, values={fields["product"]: "mobile"})

    with CaptureQueriesContext(connection) as queries:
        rows = exported(signed_in, view="all", sort="created")

    assert references(rows) == [str(ticket.reference) for ticket in made]
    assert {row[16] for row in rows[1:]} == {"Mobile app"}
    # 1 session, 2 the signed-in agent, 3 the agent's exports counted, 4 the agents and 5 the groups the filters
    # accept, 6 the capped count, 7 the fields; then per batch of 2 (the third holds the last 2; a keyset read
    # says no more follow): the tickets with requester, organisation, assignee and group, their tags, their
    # fields' values.
    assert len(queries) == 7 + 3 * 3, [query["sql"] for query in queries.captured_queries]


def test_a_batch_costs_the_same_queries_at_any_size(signed_in, make_ticket, monkeypatch):
    for n in range(4):
        make_ticket(email=f"p{n}@example.org", subject=f"Ticket {n}")

    def count(batch: int) -> int:
        monkeypatch.setattr(export_views, "BATCH_SIZE", batch)
        with CaptureQueriesContext(connection) as queries:
            exported(signed_in, view="all")
        return len(queries)

    # No field defined: no values to read, two queries a batch; one batch of 4 costs what one of 1 does, less 3.
    assert count(4) == count(1) - 3 * 2


def test_cells_a_spreadsheet_would_run_are_neutralised(signed_in, agent, make_ticket, fields):
    subjects = ['=HYPERLINK("http://evil")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTab", "\rReturn", "-5"]
    for n, subject in enumerate(subjects):
        ticket = make_ticket(email=f"p{n}@example.org")
        # Written as is: the services strip a subject's spaces, an import or the admin might not.
        Ticket.objects.filter(pk=ticket.pk).update(subject=subject)
        ticket_values_record(ticket=ticket, values={fields["risk"]: subject})

    rows = exported(signed_in, view="all")

    shown = {row[1] for row in rows[1:]}
    assert shown == {
        '\'=HYPERLINK("http://evil")',
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTab",
        "'\rReturn",
        # A plain negative number is a number, not a formula.
        "-5",
    }
    assert {row[17] for row in rows[1:]} == shown  # a field's value is a cell as any other


def test_a_list_too_long_for_one_file_is_refused_with_the_reason(signed_in, make_ticket, monkeypatch):
    monkeypatch.setattr(export_views, "EXPORT_MAX", 2)
    for n in range(3):
        make_ticket(email=f"p{n}@example.org")

    response = signed_in.get(url(), {"view": "all", "q": "export"})

    assert response.status_code == 302
    assert response["Location"] == url("agent_tickets") + "?view=all&q=export"
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "This list holds more than 2 tickets, too many for one file: narrow it with a search or filters "
        "(a period, created>2026-01-01, a status, a group), then export again."
    ]
    monkeypatch.setattr(export_views, "EXPORT_MAX", 3)
    assert len(exported(signed_in, view="all", q="export")) == 4


def test_an_agent_exporting_too_often_is_told_when_to_try_again(signed_in, agent, make_ticket, settings):
    settings.COMPTOIR_RATE_LIMIT_EXPORTS_PER_AGENT = 2
    make_ticket(email="p@example.org")
    for _ in range(2):
        assert len(exported(signed_in, view="all")) == 2

    with translation.override("en"):
        response = signed_in.get(url(), {"view": "all"})

    assert response.status_code == 302
    assert response["Location"] == url("agent_tickets") + "?view=all"
    [message] = [str(message) for message in get_messages(response.wsgi_request)]
    assert message.startswith("You have exported many lists in a short time: try again in ")
    # Another agent's exports are their own.
    colleague = User.objects.create_user(email="colleague@example.org", name="Colleague", role=Role.AGENT)
    signed_in.force_login(colleague)
    assert len(exported(signed_in, view="all")) == 2


def test_only_agents_export_and_only_by_get(client, requester, signed_in):
    assert signed_in.post(url(), {"view": "all"}).status_code == 405
    signed_in.logout()
    assert client.get(url()).status_code == 302  # to the login page
    client.force_login(requester)
    assert client.get(url()).status_code == 403


def test_a_list_sorted_by_relevance_exports_every_ticket_matching_newest_update_first(signed_in, make_ticket):
    older = make_ticket(subject="Printer jammed")
    newer = make_ticket(email="bob@example.net", subject="Printer on fire, printer smoking")
    make_ticket(email="carla@example.org", subject="Invoice")

    rows = exported(signed_in, view="all", q="printer", sort="relevance")

    assert references(rows) == [str(newer.reference), str(older.reference)]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="trigram similarity is PostgreSQL's (pg_trgm): on SQLite a search has no typo fallback",
)
def test_when_the_list_shows_look_alikes_the_file_holds_them(signed_in, make_ticket):
    misspelt = make_ticket(email="eve@example.org", name="Eve", subject="The cofee machine leaks")
    make_ticket(email="bob@example.net", subject="Invoice missing")

    assert references(exported(signed_in, view="all", q="coffee")) == [str(misspelt.reference)]
    # A ticket holding the words is never mixed with look-alikes.
    holder = make_ticket(email="carla@example.org", subject="Coffee is cold")
    assert references(exported(signed_in, view="all", q="coffee")) == [str(holder.reference)]


def test_the_list_links_to_the_export_of_what_it_shows(signed_in, make_ticket):
    make_ticket(subject="Invoice overdue")

    page = signed_in.get("/en/agent/?view=all&q=invoice").content.decode()

    assert f'href="{url()}?view=all&amp;q=invoice"' in page
    assert ">Export CSV</a>" in page


def test_an_empty_list_offers_no_export(signed_in):
    page = signed_in.get("/en/agent/?view=all&q=nothingmatchesthis").content.decode()

    assert url() not in page
