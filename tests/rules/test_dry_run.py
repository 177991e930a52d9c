"""The dry run: which tickets a rule would match and what it would change, without writing anything."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comptoir.rules.engine import dry_run, dry_run_tickets
from comptoir.rules.models import Rule, RuleRun
from comptoir.tickets.models import Ticket, TicketEvent
from comptoir.tickets.services import ticket_update_by_agent

pytestmark = pytest.mark.django_db


def test_it_finds_the_matching_tickets_and_what_would_change_without_writing(make_ticket, billing, agent):
    invoice = make_ticket(subject="Facture de mars", description="Merci de corriger la facture.")
    already = make_ticket(subject="Autre facture")
    ticket_update_by_agent(already, agent=agent, group=billing, add_tags=["billing"])
    make_ticket(subject="Export fails")
    rule = Rule(
        name="Invoices",
        events=["created"],
        conditions=[{"field": "body", "operator": "contains", "value": "facture"}],
        actions=[{"action": "set_group", "value": billing.pk}, {"action": "add_tags", "value": "billing"}],
    )
    rule.full_clean()  # a rule being written: valid, not saved yet
    tickets = dry_run_tickets()
    events_before = TicketEvent.objects.count()

    with CaptureQueriesContext(connection) as captured:
        found = dry_run(rule, tickets)

    writes = [q["sql"] for q in captured if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    # 1 the tickets' tags, 2 their requesters and first messages: whatever their number.
    assert len(captured) == 2
    assert [(row.ticket.pk, dict(row.plan.changes)) for row in found] == [
        (invoice.pk, {"group": [None, billing.pk], "tags_added": ["billing"]}),
    ]
    assert TicketEvent.objects.count() == events_before
    assert not RuleRun.objects.exists()
    assert Ticket.objects.get(pk=invoice.pk).group is None


def test_a_ticket_already_as_the_rule_sets_it_matches_with_nothing_to_change(make_ticket, billing, agent):
    ticket = make_ticket(subject="Facture")
    ticket_update_by_agent(ticket, agent=agent, group=billing)
    ticket.refresh_from_db()
    rule = Rule(
        conditions=[{"field": "subject", "operator": "contains", "value": "facture"}],
        actions=[{"action": "set_group", "value": billing.pk}],
    )

    [row] = dry_run(rule, [ticket])

    assert row.ticket == ticket
    assert not row.plan
