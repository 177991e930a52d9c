"""Automations on PostgreSQL with real concurrent workers: each fires once per ticket, locked rows are skipped.

Run with DATABASE_URL=postgres://... (SQLite has one writer: nothing to race).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from comptoir.celery import app as celery_app
from comptoir.rules.automations import automations_run
from comptoir.rules.models import Outcome, Rule, RuleRun, TicketClock
from comptoir.tickets.models import EventKind, Status, Ticket, TicketEvent
from tests.locks import held_by_another_worker

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED and real concurrency are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]

NOW = timezone.now() + timedelta(days=4)


def waiting_tickets(make_ticket, count: int) -> list[int]:
    """Tickets pending for three days, their clocks as the rules subscriber would have kept them."""
    ids = [make_ticket(subject=f"Ticket {number}").pk for number in range(count)]
    Ticket.objects.filter(pk__in=ids).update(status=Status.PENDING)
    for ticket_id in ids:
        TicketClock.objects.update_or_create(
            ticket_id=ticket_id, defaults={"status": Status.PENDING, "status_since": NOW - timedelta(days=3)}
        )
    rule = Rule(
        name="Tag the forgotten",
        kind="automation",
        conditions=[
            {"field": "status", "operator": "is", "value": "pending"},
            {"field": "hours_in_status", "operator": "at_least", "value": 48},
        ],
        # A tag leaves the ticket matching: only the once-per-period guard stops a second firing.
        actions=[{"action": "add_tags", "value": "forgotten"}],
    )
    rule.full_clean()
    rule.save()
    return ids


def test_two_workers_running_at_once_fire_once_on_each_ticket(make_ticket):
    celery_app.control.purge()  # the tickets' hand-offs wait in the broker; no worker takes them here
    ids = waiting_tickets(make_ticket, 30)
    start = threading.Barrier(2)
    fired: list[int] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            # Small chunks, so that the two workers' candidates overlap and their locks interleave.
            fired.append(automations_run(now=NOW, chunk=4))
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert sum(fired) == len(ids)
    assert RuleRun.objects.filter(outcome=Outcome.FIRED).count() == len(ids)
    added = TicketEvent.objects.filter(kind=EventKind.TAG_ADDED, new_value="forgotten")
    assert sorted(added.values_list("ticket_id", flat=True)) == sorted(ids)
    celery_app.control.purge()


def test_tickets_another_worker_holds_are_skipped_not_waited_for(make_ticket):
    celery_app.control.purge()
    ids = waiting_tickets(make_ticket, 5)
    held = sorted(ids)[:2]
    with held_by_another_worker(Ticket.objects.filter(pk__in=held)):
        first = automations_run(now=NOW)

    assert first == 3
    # Released: the next run takes what was held, and only that.
    assert automations_run(now=NOW) == 2
    assert sorted(RuleRun.objects.filter(ticket_id__in=held).values_list("ticket_id", flat=True)) == held
    celery_app.control.purge()
