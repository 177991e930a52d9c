"""A rule acts as nobody: its customer hears of a solve as from an agent, and its messages open nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.rules.automations import automations_run
from comptoir.tickets.models import Message, Status, Survey, Ticket
from comptoir.tickets.services import (
    PropertyChanges,
    ticket_set_status,
    ticket_update_by_agent,
    tickets_submit_in_bulk,
)

pytestmark = pytest.mark.django_db


def queued(ticket: Ticket) -> list[str]:
    rows = OutboundEmail.objects.filter(ticket=ticket).exclude(kind=OutboundKind.TICKET_CREATED).order_by("id")
    return list(rows.values_list("kind", flat=True))


def test_a_ticket_a_rule_solves_sends_the_solved_e_mail_with_its_survey(make_rule, make_ticket):
    make_rule(
        "Solve", events=["created"], conditions=[("subject", "contains", "thanks")], actions=[("set_status", "solved")]
    )

    ticket = make_ticket(subject="Thanks, all good")

    assert Ticket.objects.get(pk=ticket.pk).status == Status.SOLVED
    assert queued(ticket) == [OutboundKind.TICKET_SOLVED]
    assert Survey.objects.filter(ticket=ticket, withdrawn_at__isnull=True).count() == 1


def test_the_requester_solving_their_own_ticket_is_not_e_mailed_about_it(make_ticket):
    ticket = make_ticket()

    ticket_set_status(ticket, Status.SOLVED, actor=ticket.requester)

    assert queued(ticket) == []


def test_the_default_auto_close_rule_closes_without_a_solved_e_mail(make_ticket, agent):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, status=Status.SOLVED)
    assert queued(ticket) == [OutboundKind.TICKET_SOLVED]

    assert automations_run(now=timezone.now() + timedelta(days=30)) == 1

    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    assert queued(ticket) == [OutboundKind.TICKET_SOLVED]


def test_a_note_without_an_actor_leaves_a_new_ticket_new_and_an_agent_s_opens_it(make_ticket, agent):
    by_rule, by_agent = make_ticket(), make_ticket()

    tickets_submit_in_bulk(
        [by_rule.pk], agent=None, body=lambda _t: "Seen.", is_public=False, changes=PropertyChanges()
    )
    tickets_submit_in_bulk(
        [by_agent.pk], agent=agent, body=lambda _t: "Seen.", is_public=False, changes=PropertyChanges()
    )

    assert Ticket.objects.get(pk=by_rule.pk).status == Status.NEW
    assert Ticket.objects.get(pk=by_agent.pk).status == Status.OPEN
    assert Message.objects.filter(ticket=by_rule, author=None, is_public=False).count() == 1


def test_a_note_without_an_actor_still_sets_the_status_it_is_given(make_ticket):
    ticket = make_ticket()

    tickets_submit_in_bulk(
        [ticket.pk],
        agent=None,
        body=lambda _t: "Waiting.",
        is_public=False,
        changes=PropertyChanges(),
        status="pending",
    )

    assert Ticket.objects.get(pk=ticket.pk).status == Status.PENDING
