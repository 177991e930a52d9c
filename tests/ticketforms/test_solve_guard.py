"""Fields required to solve hold on every path that solves: bulk changes, canned replies, rules, the page.

(The API's path: tests/api/test_ticket_fields.py.) The requester saying their request is solved is not held.
"""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.rules.models import Outcome, Rule, RuleRun, RunWarning
from comptoir.ticketforms.models import FieldKind, TicketField
from comptoir.ticketforms.services import ticket_values_record, ticket_values_update
from comptoir.tickets.models import Macro, Priority, Status, Ticket
from comptoir.tickets.services import (
    PropertyChanges,
    Refusal,
    ticket_solve_by_requester,
    ticket_update_by_agent,
    tickets_update_in_bulk,
)
from comptoir.tickets.solve_guards import SolveHeld
from comptoir.workspace import views
from comptoir.workspace.bulk import bulk_report
from comptoir.workspace.macros import tickets_apply_macro
from tests.workspace.test_workspace_views import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(db) -> TicketField:
    return TicketField.objects.create(
        key="order_number",
        kind=FieldKind.PATTERN,
        label_en="Order number",
        label_fr="Numéro de commande",
        pattern=r"CMD-\d{6}",
        required_to_solve=True,
    )


def solve_all(tickets: list[Ticket], agent) -> object:
    return tickets_update_in_bulk(
        [ticket.pk for ticket in tickets], agent=agent, changes=PropertyChanges(priority=Priority.HIGH), status="solved"
    )


def test_a_bulk_solve_leaves_the_tickets_without_the_field_as_they_were_and_says_why(agent, make_ticket, order):
    empty, filled = make_ticket(subject="Empty"), make_ticket(subject="Filled")
    ticket_values_record(ticket=filled, values={order: "CMD-123456"})

    outcome = solve_all([empty, filled], agent)

    assert outcome.changed == [filled.pk]
    assert outcome.refused == [(empty.pk, Refusal.SOLVE_HELD)]
    empty.refresh_from_db()
    # Left as it was: neither solved nor its priority changed.
    assert (empty.status, empty.priority) == (Status.NEW, Priority.NORMAL)
    assert Ticket.objects.get(pk=filled.pk).status == Status.SOLVED
    with translation.override("en"):
        report = bulk_report(outcome)  # type: ignore[arg-type]
    assert (
        messages.WARNING,
        f"Left as they were, a field required to solve being empty (fill it in on the"
        f" ticket's page): #{empty.reference}.",
    ) in report

    ticket_values_record(ticket=empty, values={order: "CMD-654321"})
    assert solve_all([empty], agent).changed == [empty.pk]  # type: ignore[attr-defined]


def test_the_bulk_page_reports_the_tickets_held_back(client, agent, make_ticket, order):
    ticket = make_ticket()
    client.force_login(agent)
    with translation.override("en"):
        response = client.post(
            reverse("agent_bulk_update"), {"tickets": [ticket.reference], "status": Status.SOLVED}, follow=True
        )
    assert "a field required to solve being empty" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_a_canned_reply_that_solves_is_held_back_then_allowed_once_filled(agent, make_ticket, order):
    macro = Macro.objects.create(title="Refunded", body="Refunded, {requester_name}.", status=Status.SOLVED)
    ticket = make_ticket()

    outcome = tickets_apply_macro([ticket.pk], macro=macro, agent=agent, is_public=True)

    assert outcome.refused == [(ticket.pk, Refusal.SOLVE_HELD)]
    ticket.refresh_from_db()
    # Nothing sent either: the reply waits with the status, as on the ticket's page.
    assert (ticket.status, ticket.messages.count()) == (Status.NEW, 1)

    ticket_values_record(ticket=ticket, values={order: "CMD-123456"})
    assert tickets_apply_macro([ticket.pk], macro=macro, agent=agent, is_public=True).changed == [ticket.pk]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.messages.count()) == (Status.SOLVED, 2)


def test_the_single_ticket_service_refuses_before_writing_anything(agent, make_ticket, order):
    ticket = make_ticket()
    with translation.override("en"), pytest.raises(SolveHeld) as held:
        ticket_update_by_agent(ticket, agent=agent, body="Done.", priority=Priority.HIGH, status=Status.SOLVED)
    assert held.value.hold.names == ("order_number",)
    assert "fill in the field “Order number” first" in held.value.hold.reason
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.messages.count()) == (Status.NEW, Priority.NORMAL, 1)


def test_the_ticket_page_keeps_its_message_and_solves_once_filled(client, agent, make_ticket, order):
    ticket = make_ticket()
    client.force_login(agent)
    with translation.override("en"):
        response = submit(client, ticket, body="Refunded.", status=Status.SOLVED)
    assert response.status_code == 400
    assert "fill in the field “Order number” first (in the “Fields” card)" in response.content.decode()
    ticket_values_update(ticket=ticket, values={order: "CMD-123456"}, actor=agent)
    with translation.override("en"):
        assert submit(client, ticket, body="Refunded.", status=Status.SOLVED).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SOLVED


def test_a_field_emptied_between_the_pages_check_and_the_write_is_refused_without_writing(
    client, agent, make_ticket, order, monkeypatch
):
    colleague = User.objects.create_user("dominique@example.com", password="x", name="Dominique", role=Role.AGENT)
    ticket = make_ticket()
    ticket_values_update(ticket=ticket, values={order: "CMD-123456"}, actor=agent)
    checked = views.solve_refusal

    def checked_then_emptied_by_a_colleague(seen: Ticket) -> str | None:
        answer = checked(seen)
        ticket_values_update(ticket=seen, values={order: None}, actor=colleague)
        return answer

    monkeypatch.setattr(views, "solve_refusal", checked_then_emptied_by_a_colleague)
    client.force_login(agent)
    with translation.override("en"):
        response = submit(client, ticket, body="Refunded.", status=Status.SOLVED)
    assert response.status_code == 400
    assert "fill in the field “Order number” first" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status != Status.SOLVED
    assert not ticket.messages.filter(body__contains="Refunded.").exists()


def test_a_rule_that_solves_skips_the_status_says_so_and_does_the_rest(agent, make_ticket, order):
    rule = Rule(
        name="Refunds are done",
        events=["created", "updated"],
        conditions=[{"field": "subject", "operator": "contains", "value": "refund"}],
        actions=[{"action": "set_status", "value": "solved"}, {"action": "set_priority", "value": "high"}],
    )
    rule.full_clean()
    rule.save()

    ticket = make_ticket(subject="Refund please")

    # (Its priority change sets it off again in the same chain, where it is stopped: it fired already.)
    run = RuleRun.objects.get(rule=rule, ticket=ticket, depth=0)
    assert (run.outcome, run.warning) == (Outcome.FIRED, RunWarning.SOLVE_HELD)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.NEW, Priority.HIGH)

    # Filled in: the change is an update, the rule runs again and solves.
    ticket_values_update(ticket=ticket, values={order: "CMD-123456"}, actor=agent)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    latest = RuleRun.objects.filter(rule=rule, ticket=ticket, outcome=Outcome.FIRED).first()
    assert latest is not None and latest.pk != run.pk and latest.warning == ""


def test_a_hidden_conditional_field_does_not_hold_and_a_shown_one_does(agent, make_ticket):
    channel = TicketField.objects.create(
        key="channel",
        kind=FieldKind.DROPDOWN,
        label_en="Where",
        choices=[["web", "Web", "Web"], ["phone", "Téléphone", "Phone"]],
    )
    browser = TicketField.objects.create(
        key="browser",
        kind=FieldKind.TEXT,
        label_en="Browser",
        required_to_solve=True,
        shown_when_field=channel,
        shown_when_value="web",
    )
    on_phone, on_web, unsaid = make_ticket(), make_ticket(), make_ticket()
    ticket_values_record(ticket=on_phone, values={channel: "phone"})
    ticket_values_record(ticket=on_web, values={channel: "web"})

    outcome = tickets_update_in_bulk(
        [on_phone.pk, on_web.pk, unsaid.pk], agent=agent, changes=PropertyChanges(), status=Status.SOLVED
    )

    # The browser is asked only of web tickets: the phone one, and the one that says neither, are solved.
    assert outcome.refused == [(on_web.pk, Refusal.SOLVE_HELD)]
    assert sorted(outcome.changed) == sorted([on_phone.pk, unsaid.pk])
    ticket_values_record(ticket=on_web, values={browser: "Firefox"})
    assert tickets_update_in_bulk([on_web.pk], agent=agent, changes=PropertyChanges(), status="solved").changed == [
        on_web.pk
    ]


def test_the_requester_may_still_say_their_request_is_solved(make_ticket, order):
    ticket = make_ticket()
    assert ticket_solve_by_requester(ticket=ticket) is True
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SOLVED


# Solving 20 tickets in bulk with fields required to solve: 1 the savepoint, 2 the tickets, locked,
# 3 the fields (comptoir.ticketforms.solving: every field, for the conditions), 4 the tickets' values
# of the fields required and of those their conditions read, 5 the status columns, 6 the open surveys
# withdrawn, 7 the new surveys, 8 every event, 9 what the subscribers are owed, 10 the savepoint
# released. The same for 20 tickets held back as for 20 solved, and for 1 as for 20.
BULK_SOLVE_QUERIES = 10


@pytest.mark.parametrize("count", [1, 20])
def test_a_bulk_solve_of_20_tickets_costs_what_one_does(agent, make_ticket, order, count, django_assert_num_queries):
    serial = TicketField.objects.create(key="serial", kind=FieldKind.TEXT, label_en="Serial", required_to_solve=True)
    tickets = [make_ticket(email=f"p{n}@example.org") for n in range(count)]
    for ticket in tickets:
        ticket_values_record(ticket=ticket, values={order: "CMD-123456", serial: "SN-1"})

    with transaction.atomic(), django_assert_num_queries(BULK_SOLVE_QUERIES):
        outcome = tickets_update_in_bulk(
            [ticket.pk for ticket in tickets], agent=agent, changes=PropertyChanges(), status=Status.SOLVED
        )

    assert len(outcome.changed) == count
