"""The rollups rebuilt from the events equal those the subscriber kept live; a change handed over twice counts once."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from comptoir.reports.models import COUNTS, DailyRollup, TicketFacts
from comptoir.reports.services import ticket_facts_refresh
from comptoir.reports.subscriber import reports_follow
from comptoir.tickets.merging import tickets_merge
from comptoir.tickets.models import TicketEvent
from comptoir.tickets.services import ticket_mark_spam, ticket_update_by_agent
from tests.reports.conftest import Week

KEY = ("day", "group", "assignee", "channel", "type", "priority", "language", "organisation", "tag")


def _rollups() -> set[tuple[object, ...]]:
    # Rows whose counts all went back to zero (a ticket moved to another group) mean nothing.
    rows = DailyRollup.objects.values_list(*KEY, *COUNTS)
    return {row for row in rows if any(row[len(KEY) :])}


def _facts() -> list[tuple[object, ...]]:
    fields = [field.attname for field in TicketFacts._meta.concrete_fields]
    return list(TicketFacts.objects.order_by("pk").values_list(*fields))


def test_rebuilt_from_the_events_equals_live(week: Week):
    live_rollups, live_facts = _rollups(), _facts()
    assert len(live_facts) == 4
    assert sum(row[len(KEY)] for row in live_rollups) == 4  # created: the rows are not empty

    DailyRollup.objects.all().update(created=99)  # damaged: the rebuild starts over
    output = StringIO()
    call_command("reports_rebuild", stdout=output)

    assert "4 tickets" in output.getvalue()
    assert _rollups() == live_rollups
    assert _facts() == live_facts


def test_a_change_handed_over_twice_counts_once(week: Week):
    before = _rollups()
    change = TicketEvent.objects.filter(ticket=week.reopened).latest("id").change
    reports_follow(change)
    ticket_facts_refresh(ticket_id=week.one_touch.pk)
    assert _rollups() == before


def test_rebuilt_equals_live_after_a_move_a_merge_and_spam(week: Week, make_ticket):
    # T2's whole history moves to Billing and to another priority; a new ticket is merged into T4; T3 is spam.
    ticket_update_by_agent(week.reopened, agent=week.agent, group=week.billing, priority="urgent")
    duplicate = make_ticket(subject="Password reset again")
    ticket_update_by_agent(duplicate, agent=week.agent, body="Checking.")
    tickets_merge([duplicate], week.weekend, agent=week.agent, tell_requesters=True)
    ticket_mark_spam(week.waiting, agent=week.agent)
    live_rollups, live_facts = _rollups(), _facts()
    assert any(row[1] == week.billing.pk and row[5] == "urgent" for row in live_rollups)

    call_command("reports_rebuild", stdout=StringIO())

    assert _rollups() == live_rollups
    assert _facts() == live_facts


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_the_rebuild_draws_a_progress_bar_on_a_terminal_only(week: Week):
    terminal, log = Terminal(), StringIO()
    call_command("reports_rebuild", stdout=terminal)
    call_command("reports_rebuild", stdout=log)
    # One bar for the events, then one for the service level clocks, each on its own line.
    assert terminal.getvalue().count(f"\r[{'#' * 30}] 4/4\n") == 2
    assert "\r" not in log.getvalue()
