"""Fields required before solving, field:<key>=<value> in the search, and queries that do not grow with fields."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from comptoir.ticketforms.models import FieldKind, FieldValue, TicketField
from comptoir.ticketforms.services import ticket_values_record
from comptoir.tickets.models import Status
from comptoir.tickets.search import requester_search_condition, search_condition
from comptoir.tickets.search_query import parse_search
from comptoir.workspace.ticketform_views import solve_refusal
from tests.workspace.test_workspace_views import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(db) -> TicketField:
    return TicketField.objects.create(
        key="order_number",
        kind=FieldKind.PATTERN,
        label_en="Order number",
        pattern=r"CMD-\d{6}",
        required_to_solve=True,
    )


def test_solving_is_refused_while_a_field_required_to_solve_is_empty(client, agent, make_ticket, order):
    ticket = make_ticket()
    client.force_login(agent)
    with translation.override("en"):
        response = submit(client, ticket, body="Refunded.", status=Status.SOLVED)
    assert response.status_code == 400
    html = response.content.decode()
    assert "This ticket cannot be solved yet: fill in the field “Order number” first" in html
    # Nothing was sent; the reply typed is still in the box.
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.messages.count() == 1
    assert "Refunded." in html
    ticket_values_record(ticket=ticket, values={order: "CMD-123456"})
    with translation.override("en"):
        response = submit(client, ticket, body="Refunded.", status=Status.SOLVED)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def test_several_fields_missing_are_each_named_in_the_reader_s_quotation_marks(make_ticket, order):
    TicketField.objects.create(key="serial", kind=FieldKind.TEXT, label_en="Serial", required_to_solve=True)
    ticket = make_ticket()

    with translation.override("en"):
        english = solve_refusal(ticket)
    with translation.override("fr"):
        french = solve_refusal(ticket)

    assert english is not None and "fill in the fields “Order number”, “Serial” first" in english
    assert french is not None and "«\u202fOrder number\u202f», «\u202fSerial\u202f»" in french


def test_other_statuses_are_not_held_back(client, agent, make_ticket, order):
    ticket = make_ticket()
    client.force_login(agent)
    assert submit(client, ticket, body="Looking.", status=Status.PENDING).status_code == 302


def test_an_archived_field_no_longer_holds_back_solving(client, agent, make_ticket, order):
    TicketField.objects.filter(pk=order.pk).update(archived=True)
    ticket = make_ticket()
    client.force_login(agent)
    assert submit(client, ticket, body="Done.", status=Status.SOLVED).status_code == 302


def searched(text: str, agent) -> set[str]:
    from comptoir.tickets.models import Ticket

    search = search_condition(parse_search(text), agent)
    return set(Ticket.objects.filter(search.condition).values_list("subject", flat=True))


def test_field_search_finds_tickets_by_value_in_any_case(agent, make_ticket, order):
    os_field = TicketField.objects.create(
        key="os",
        kind=FieldKind.MULTI_SELECT,
        label_en="OS",
        choices=[["linux", "Linux", "Linux"], ["mac", "Mac", "Mac"]],
    )
    vip = TicketField.objects.create(key="vip", kind=FieldKind.CHECKBOX, label_en="VIP", visible_to_customers=False)
    first, second, _third = make_ticket(subject="first"), make_ticket(subject="second"), make_ticket(subject="third")
    ticket_values_record(ticket=first, values={order: "CMD-123456", os_field: ["linux", "mac"], vip: True})
    ticket_values_record(ticket=second, values={order: "CMD-654321", os_field: ["mac"]})
    assert searched("field:order_number=cmd-123456", agent) == {"first"}
    assert searched("field:os=mac", agent) == {"first", "second"}
    assert searched("field:os=linux", agent) == {"first"}
    assert searched("-field:os=mac", agent) == {"third"}
    assert searched("field:vip=yes", agent) == {"first"}
    assert searched("field:vip=no", agent) == {"second", "third"}


def test_a_field_filter_without_a_value_is_said_and_left_out(agent, make_ticket, order):
    make_ticket(subject="only")
    with translation.override("en"):
        search = search_condition(parse_search("field:order_number"), agent)
    assert search.notices == ("“field:order_number” reads field:<key>=<value>: it was left out.",)


def test_a_requesters_search_never_reads_fields(make_ticket, order):
    # Their search could otherwise probe the values of fields kept for agents.
    ticket = make_ticket()
    with translation.override("en"):
        search = requester_search_condition(parse_search("field:order_number=CMD-123456"), ticket.requester)
    assert search.notices == (
        "“field:order_number=CMD-123456” is not a filter this search knows: it was searched as words.",
    )


def test_the_workspace_list_filters_by_field(client, agent, make_ticket, order):
    wanted, other = make_ticket(subject="wanted one"), make_ticket(subject="other one")
    ticket_values_record(ticket=wanted, values={order: "CMD-123456"})
    ticket_values_record(ticket=other, values={order: "CMD-000001"})
    client.force_login(agent)
    with translation.override("en"):
        html = client.get(
            reverse("agent_tickets"), {"view": "all", "q": "field:order_number=CMD-123456"}
        ).content.decode()
    assert "wanted one" in html and "other one" not in html


def test_the_fields_card_costs_one_query_whatever_the_number_of_fields(
    client, agent, make_ticket, django_assert_num_queries
):
    ticket = make_ticket()
    fields = [
        TicketField.objects.create(key=f"f{index}", kind=FieldKind.TEXT, label_en=f"F{index}") for index in range(12)
    ]
    ticket_values_record(ticket=ticket, values={field: f"value {field.key}" for field in fields})
    # One query for the "Fields" card, whatever the number of fields: the fields with the ticket's
    # values annotated (comptoir.ticketforms.selectors.agent_fields). The page's whole count is pinned
    # in tests/workspace/test_workspace_queries.py.
    client.force_login(agent)
    with translation.override("en"):
        address = reverse("agent_ticket", args=[ticket.reference])
    client.get(address)
    with CaptureQueriesContext(connection) as twelve:
        html = client.get(address).content.decode()
    assert 'value="value f11"' in html
    FieldValue.objects.all().delete()
    TicketField.objects.exclude(key="f0").delete()
    with CaptureQueriesContext(connection) as one:
        client.get(address)
    assert len(twelve) == len(one)
    # Queries that read the fields (the ticket's own query joins its "Context" card's row and asks whether the
    # "Fields" card has any field to show, comptoir.workspace.selectors.panels_shown: it is not one).
    reading = [query["sql"] for query in twelve.captured_queries if 'FROM "tickets_ticket"' not in query["sql"]]
    assert sum('FROM "ticketforms_' in sql for sql in reading) == 1
