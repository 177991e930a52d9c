"""The subscriber reads again only what a change can move, and ends where a full replay ends."""

from __future__ import annotations

from datetime import date

from comptoir.reports.models import TicketFacts
from comptoir.reports.services import rollups_apply, ticket_facts_refresh
from comptoir.reports.subscriber import reports_follow
from comptoir.tickets.dimensions import DIMENSIONS
from comptoir.tickets.models import EventKind, TicketEvent
from comptoir.tickets.services import ticket_update_by_agent
from tests.reports.conftest import Week
from tests.reports.test_rebuild import KEY, _facts, _rollups


def _last_change(ticket) -> object:
    return TicketEvent.objects.filter(ticket=ticket).latest("id").change


def test_a_move_moves_the_counts_without_replaying_the_history(week: Week, django_assert_num_queries):
    ticket_update_by_agent(week.reopened, agent=week.agent, group=week.billing, priority="urgent", add_tags=["vat"])
    moved_rollups, moved_facts = _rollups(), _facts()
    facts = TicketFacts.objects.get(pk=week.reopened.pk)
    assert (facts.group, facts.priority, len(facts.tags)) == (week.billing.pk, "urgent", 1)
    # What a full replay gives is what the move gave.
    ticket_facts_refresh(ticket_id=week.reopened.pk)
    assert (_rollups(), _facts()) == (moved_rollups, moved_facts)

    # Handed over again: 1 the change's events, 2 the ticket, 3 its facts locked, 4 its tags (a tag
    # changed), 5 the facts' dimensions; no rollup statement, as nothing moves twice; and the savepoint
    # of its transaction and its release (inside the test's transaction).
    change = _last_change(week.reopened)
    with django_assert_num_queries(7):
        reports_follow(change)
    assert (_rollups(), _facts()) == (moved_rollups, moved_facts)


def test_a_new_ticket_is_counted_from_its_creation_change(week: Week, make_ticket, django_assert_num_queries):
    ticket = make_ticket(subject="Printer on fire")
    expected_rollups, expected_facts = _rollups(), _facts()
    creation = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED).change
    # As the worker finds it: the ticket created, its figures not yet counted anywhere.
    facts = TicketFacts.objects.get(pk=ticket.pk)
    key = tuple(getattr(facts, name) for name in DIMENSIONS)
    rollups_apply(
        {
            (date.fromisoformat(day), *key, 0): {name: -n for name, n in counts.items()}
            for day, counts in facts.contributions.items()
        }
    )
    facts.delete()
    assert sum(row[len(KEY)] for row in _rollups()) == 4  # the week's four, without it

    # 1 the change's events, 2 the ticket, 3 its facts (none yet), 4 the rollups, 5 the backlog's total
    # (it entered the backlog), 6 the team rollups, 7 its facts written: no replay of events, surveys or
    # tags that a ticket just created cannot have; the savepoint and its release.
    with django_assert_num_queries(9):
        reports_follow(creation)
    assert (_rollups(), _facts()) == (expected_rollups, expected_facts)


def test_a_change_that_moves_a_figure_replays_the_history(week: Week, django_assert_num_queries):
    ticket_update_by_agent(week.waiting, agent=week.agent, body="Answered.", status="solved")
    live_rollups, live_facts = _rollups(), _facts()
    # Handed over again: 1 the change's events, 2 the ticket, 3 its facts locked, 4 its events (replayed),
    # 5 the policies (its first reply measured in their business hours), 6-8 the schedule's hours and closed
    # days, 9 the facts written (no rollup statement: the counts stand); the savepoint and its release.
    # Its tags and survey comment are those kept, not read again.
    change = _last_change(week.waiting)
    with django_assert_num_queries(11):
        reports_follow(change)
    assert (_rollups(), _facts()) == (live_rollups, live_facts)
