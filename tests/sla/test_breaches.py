"""The breach job: each clock due is breached once, each entering its warning window warned once, however many run."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from comptoir.celery import app as celery_app
from comptoir.sla.breaches import breaches_raise
from comptoir.sla.models import Metric, TicketSla
from comptoir.sla.tasks import sla_breaches_raise
from comptoir.tickets.models import Priority, Status
from comptoir.tickets.services import ticket_set_status, ticket_update_by_agent
from tests.locks import held_by_another_worker
from tests.sla.clock import paris
from tests.sla.conftest import clock_of, policy_make

MONDAY_NINE = paris(2026, 6, 8, 9)


@pytest.fixture
def hour_policy(db):
    """First reply within an hour, round the clock; warned a quarter of an hour before."""
    return policy_make("An hour", {(Metric.FIRST_REPLY, Priority.NORMAL): 60}, warn_minutes=15)


@pytest.mark.django_db
def test_a_clock_is_warned_once_when_its_window_opens_then_breached_once_when_due(fake_now, hour_policy, make_ticket):
    ticket = make_ticket()
    row = clock_of(ticket, Metric.FIRST_REPLY)
    assert (row.warn_at, row.due_at) == (MONDAY_NINE + timedelta(minutes=45), MONDAY_NINE + timedelta(hours=1))

    assert breaches_raise(now=MONDAY_NINE + timedelta(minutes=44)).warned == []
    assert breaches_raise(now=MONDAY_NINE + timedelta(minutes=45)).warned == [row.pk]
    assert breaches_raise(now=MONDAY_NINE + timedelta(minutes=50)).warned == []
    assert breaches_raise(now=MONDAY_NINE + timedelta(minutes=59)).breached == []
    assert breaches_raise(now=MONDAY_NINE + timedelta(hours=1)).breached == [row.pk]
    assert breaches_raise(now=MONDAY_NINE + timedelta(hours=2)).breached == []

    row.refresh_from_db()
    assert row.warned_at == MONDAY_NINE + timedelta(minutes=45)
    assert row.breached_at == MONDAY_NINE + timedelta(hours=1)


@pytest.mark.django_db
def test_a_clock_found_late_is_breached_and_not_warned(fake_now, hour_policy, make_ticket):
    ticket = make_ticket()

    raised = breaches_raise(now=MONDAY_NINE + timedelta(hours=3))

    row = clock_of(ticket, Metric.FIRST_REPLY)
    assert (raised.breached, raised.warned) == ([row.pk], [])
    assert row.warned_at is None


@pytest.mark.django_db
def test_clocks_met_paused_or_stopped_are_never_raised(fake_now, hour_policy, make_ticket, agent):
    met, paused, stopped, running = (make_ticket(subject=f"Ticket {n}") for n in range(4))
    fake_now.advance(minutes=10)
    ticket_update_by_agent(met, agent=agent, body="Hello.")
    ticket_set_status(paused, Status.PENDING, actor=agent)
    ticket_update_by_agent(stopped, agent=agent, priority=Priority.LOW)  # no target for low tickets

    raised = breaches_raise(now=MONDAY_NINE + timedelta(days=1))

    assert raised.breached == [clock_of(running, Metric.FIRST_REPLY).pk]
    assert TicketSla.objects.filter(breached_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_the_beat_task_raises_at_the_current_time(fake_now, hour_policy, make_ticket):
    make_ticket()
    fake_now.set(MONDAY_NINE + timedelta(minutes=50))

    assert sla_breaches_raise() == (0, 1)
    fake_now.set(MONDAY_NINE + timedelta(hours=1, minutes=1))
    assert sla_breaches_raise() == (1, 0)
    assert sla_breaches_raise() == (0, 0)


def _due_clocks(make_ticket, policy, count: int) -> set[int]:
    """``count`` tickets whose first reply was due an hour ago, written directly (no worker runs here)."""
    tickets = [make_ticket(subject=f"Ticket {n}") for n in range(count)]
    rows = TicketSla.objects.bulk_create(
        TicketSla(
            ticket=ticket,
            policy=policy,
            metric=Metric.FIRST_REPLY,
            started_at=MONDAY_NINE,
            due_at=MONDAY_NINE + timedelta(hours=1),
            warn_at=MONDAY_NINE + timedelta(minutes=45),
        )
        for ticket in tickets
    )
    return {row.pk for row in rows}


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_at_once_raise_each_breach_exactly_once(make_ticket, hour_policy):
    celery_app.control.purge()  # the tickets' hand-offs wait in the broker; no worker takes them here
    due = _due_clocks(make_ticket, hour_policy, 40)
    start = threading.Barrier(2)
    raised: list[list[int]] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            while True:
                # Small batches, so that the two workers' claims interleave.
                batch = breaches_raise(now=MONDAY_NINE + timedelta(hours=2), batch=3).breached
                if not batch:
                    return
                raised.append(batch)
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    every_one = [pk for batch in raised for pk in batch]
    assert sorted(every_one) == sorted(due)  # all of them, none twice
    assert TicketSla.objects.filter(breached_at__isnull=True).count() == 0
    celery_app.control.purge()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED is PostgreSQL's; SQLite runs one writer")
@pytest.mark.django_db(transaction=True)
def test_clocks_another_worker_holds_are_skipped_not_waited_for(make_ticket, hour_policy):
    celery_app.control.purge()
    due = _due_clocks(make_ticket, hour_policy, 5)
    held = sorted(due)[:2]
    with held_by_another_worker(TicketSla.objects.filter(pk__in=held)):
        first = breaches_raise(now=MONDAY_NINE + timedelta(hours=2))

    assert sorted(first.breached) == sorted(due - set(held))
    # Released: the next run takes what was held, and only that.
    assert sorted(breaches_raise(now=MONDAY_NINE + timedelta(hours=2)).breached) == held
    celery_app.control.purge()
