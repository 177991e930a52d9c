"""After an edit of business hours or policies, waiting tickets' clocks follow the new terms (sla_clocks_rebuild)."""

from __future__ import annotations

import pytest

from comptoir.sla import settings as sla_settings
from comptoir.sla import tasks
from comptoir.sla.models import Metric
from comptoir.sla.settings import TargetTerms
from comptoir.tickets.models import Status
from comptoir.tickets.services import ticket_set_status
from tests.sla.clock import paris
from tests.sla.conftest import OFFICE_TARGETS, clock_of

pytestmark = pytest.mark.django_db


def office_terms(**overrides: int) -> dict[tuple[str, str], TargetTerms]:
    terms = {key: TargetTerms(minutes) for key, minutes in OFFICE_TARGETS.items()}
    for metric, minutes in overrides.items():
        for each, priority in list(terms):
            if each == metric:
                terms[(each, priority)] = TargetTerms(minutes)
    return terms


def test_a_policy_edit_queues_the_rebuild_which_moves_waiting_tickets_due_times(
    fake_now, office_policy, make_ticket, monkeypatch, django_capture_on_commit_callbacks
):
    fake_now.set(paris(2026, 6, 8, 9))  # Monday morning
    waiting = make_ticket(email="a@example.org")
    solved = make_ticket(email="b@example.org")
    ticket_set_status(solved, Status.SOLVED, actor=None)
    assert clock_of(waiting, Metric.FIRST_REPLY).due_at == paris(2026, 6, 8, 14)  # 4 business hours
    queued: list[tuple[int, ...]] = []
    monkeypatch.setattr(tasks.sla_clocks_rebuild, "delay", lambda *args: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        sla_settings.policy_save(
            office_policy,
            name="Office hours",
            is_active=True,
            schedule=office_policy.schedule,
            targets=office_terms(first_reply=60),
        )
    assert queued == [()]
    # Not before the job runs: an edit does not rewrite clocks in the admin's request.
    assert clock_of(waiting, Metric.FIRST_REPLY).due_at == paris(2026, 6, 8, 14)

    assert tasks.sla_clocks_rebuild() == 1  # the waiting ticket only

    assert clock_of(waiting, Metric.FIRST_REPLY).due_at == paris(2026, 6, 8, 10)


def test_the_rebuild_goes_by_chunks_each_queuing_the_next(fake_now, office_policy, make_ticket, monkeypatch):
    tickets = [make_ticket(email=f"p{n}@example.org") for n in range(3)]
    queued: list[tuple[int, ...]] = []
    monkeypatch.setattr(tasks.sla_clocks_rebuild, "delay", lambda *args: queued.append(args))
    monkeypatch.setattr(tasks, "REBUILD_CHUNK", 2)

    assert tasks.sla_clocks_rebuild() == 2
    assert queued == [(tickets[1].pk,)]
    assert tasks.sla_clocks_rebuild(tickets[1].pk) == 1
    assert queued == [(tickets[1].pk,)]  # the last chunk was short: nothing more to do
