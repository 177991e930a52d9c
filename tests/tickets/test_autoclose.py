"""Solved tickets close by themselves after COMPTOIR_AUTO_CLOSE_DAYS, once, even with many workers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from comptoir.tickets.models import Channel, EventKind, Status, Ticket, TicketEvent
from comptoir.tickets.services import (
    ticket_reply_by_requester,
    ticket_set_status,
    ticket_update_by_agent,
    tickets_close_solved,
)
from comptoir.tickets.tasks import close_solved_tickets

pytestmark = pytest.mark.django_db


def solved(make_ticket, *, days_ago: float, **extra) -> Ticket:
    ticket = make_ticket(**extra)
    ticket_set_status(ticket, Status.SOLVED, actor=None)
    Ticket.objects.filter(pk=ticket.pk).update(solved_at=timezone.now() - timedelta(days=days_ago))
    return ticket


def closing_events(ticket: Ticket) -> list[tuple[str, str]]:
    return list(ticket.events.filter(kind=EventKind.STATUS, new_value=Status.CLOSED).values_list("old_value", "actor"))


def test_it_closes_tickets_solved_longer_ago_than_the_delay(make_ticket, settings):
    settings.COMPTOIR_AUTO_CLOSE_DAYS = 4
    old = solved(make_ticket, days_ago=4.1, subject="Old")
    recent = solved(make_ticket, days_ago=3.9, subject="Recent")
    assert tickets_close_solved() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, recent.status) == (Status.CLOSED, Status.SOLVED)
    assert old.closed_at is not None and recent.closed_at is None
    assert closing_events(old) == [(Status.SOLVED, None)]
    assert closing_events(recent) == []
    # A second run finds nothing more to do.
    assert tickets_close_solved() == 0
    assert closing_events(old) == [(Status.SOLVED, None)]


def test_it_follows_the_configured_delay_and_the_given_time(make_ticket, settings):
    settings.COMPTOIR_AUTO_CLOSE_DAYS = 10
    ticket = solved(make_ticket, days_ago=5)
    assert tickets_close_solved() == 0
    assert tickets_close_solved(now=timezone.now() + timedelta(days=6)) == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_it_leaves_reopened_tickets_open(make_ticket, agent):
    by_requester = solved(make_ticket, days_ago=10, subject="Requester")
    by_agent = solved(make_ticket, days_ago=10, subject="Agent")
    ticket_reply_by_requester(ticket=by_requester, body="Not fixed.", channel=Channel.EMAIL)
    ticket_update_by_agent(by_agent, agent=agent, body="Reopening.", status=Status.OPEN)
    assert tickets_close_solved() == 0
    assert set(Ticket.objects.values_list("status", flat=True)) == {Status.OPEN}


def test_it_counts_from_the_latest_resolution(make_ticket, agent):
    ticket = solved(make_ticket, days_ago=10)
    ticket_reply_by_requester(ticket=ticket, body="Not fixed.", channel=Channel.WEB)
    ticket_update_by_agent(ticket, agent=agent, body="Now it is.", status=Status.SOLVED)
    assert tickets_close_solved() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def test_it_runs_as_a_celery_task(make_ticket):
    ticket = solved(make_ticket, days_ago=30)
    assert close_solved_tickets() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


@pytest.mark.django_db(transaction=True)
def test_it_closes_each_ticket_once_when_two_runs_overlap(make_ticket):
    tickets = [make_ticket(subject=f"Ticket {n}") for n in range(20)]
    for ticket in tickets:
        ticket_set_status(ticket, Status.SOLVED, actor=None)
    Ticket.objects.update(solved_at=timezone.now() - timedelta(days=30))
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(tickets_close_solved())
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert set(Ticket.objects.values_list("status", flat=True)) == {Status.CLOSED}
    for ticket in tickets:
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS, new_value=Status.CLOSED).count() == 1
    assert len(results) == 2 and sum(results) == 20
