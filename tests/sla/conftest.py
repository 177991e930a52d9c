"""A clock the tests move by hand, the office's business hours in the database, and policies made to measure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from comptoir.sla.models import BusinessSchedule, Metric, OpeningRange, SlaPolicy, SlaTarget, TicketSla
from comptoir.tickets.models import Priority, Ticket
from tests.sla.clock import MONDAY_TO_FRIDAY, paris
from tests.ticketforms.fixtures import plan, plan_choices, seats  # noqa: F401 (fixtures for the tests here)


@dataclass
class FakeNow:
    """What django.utils.timezone.now answers: the events' times, and so the clocks', are set by the test."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set(self, instant: datetime) -> None:
        self.now = instant

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def fake_now(monkeypatch) -> FakeNow:
    # Monday 8 June 2026, 09:00 in Paris: an ordinary working week (no holiday until 14 July).
    fake = FakeNow(paris(2026, 6, 8, 9))
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@pytest.fixture
def office(db) -> BusinessSchedule:
    """Monday to Friday, 09:00-12:00 and 13:00-18:00 in Paris, with French holidays: the office_week of clock.py."""
    schedule = BusinessSchedule.objects.create(name="Office", time_zone="Europe/Paris", country="FR")
    OpeningRange.objects.bulk_create(
        OpeningRange(schedule=schedule, weekday=weekday, start=start, end=end)
        for weekday in MONDAY_TO_FRIDAY
        for start, end in ((time(9), time(12)), (time(13), time(18)))
    )
    return schedule


# (metric, priority) -> minutes: what the office promises on normal and high tickets.
OFFICE_TARGETS: Mapping[tuple[str, str], int] = {
    (Metric.FIRST_REPLY, Priority.NORMAL): 4 * 60,
    (Metric.NEXT_REPLY, Priority.NORMAL): 2 * 60,
    (Metric.RESOLUTION, Priority.NORMAL): 16 * 60,
    (Metric.FIRST_REPLY, Priority.HIGH): 2 * 60,
    (Metric.NEXT_REPLY, Priority.HIGH): 60,
    (Metric.RESOLUTION, Priority.HIGH): 8 * 60,
}


def policy_make(
    name: str,
    targets: Mapping[tuple[str, str], int],
    *,
    schedule: BusinessSchedule | None = None,
    business_hours: bool = True,
    **fields: object,
) -> SlaPolicy:
    policy = SlaPolicy.objects.create(name=name, schedule=schedule, **fields)
    SlaTarget.objects.bulk_create(
        SlaTarget(policy=policy, metric=metric, priority=priority, minutes=minutes, business_hours=business_hours)
        for (metric, priority), minutes in targets.items()
    )
    return policy


@pytest.fixture
def office_policy(office) -> SlaPolicy:
    return policy_make("Office hours", OFFICE_TARGETS, schedule=office, position=10)


def clocks(ticket: Ticket) -> dict[tuple[str, int], TicketSla]:
    """The ticket's clocks by (metric, cycle), as the database has them now."""
    return {(row.metric, row.cycle): row for row in TicketSla.objects.filter(ticket=ticket)}


def clock_of(ticket: Ticket, metric: str, cycle: int = 0) -> TicketSla:
    return TicketSla.objects.get(ticket=ticket, metric=metric, cycle=cycle)
