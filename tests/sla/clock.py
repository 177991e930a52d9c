"""Schedules and instants the SLA tests share: the office week of the issue, in Paris."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from comptoir.sla.business_time import Schedule

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")

MONDAY_TO_FRIDAY = range(5)
OFFICE_HOURS = ((time(9), time(12)), (time(13), time(18)))


def office_week(closed_days: Iterable[date] = ()) -> Schedule:
    """Monday to Friday, 09:00-12:00 and 13:00-18:00, Europe/Paris."""
    return Schedule.from_hours(PARIS, dict.fromkeys(MONDAY_TO_FRIDAY, OFFICE_HOURS), closed_days)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    """A Paris wall-clock time as a UTC instant: paris(2026, 6, 5, 17) is Friday 5 June 2026, 17:00.

    In UTC because Python compares a repeated (ambiguous) wall time with instants of
    other zones as always unequal (PEP 495), and adds timedeltas to aware datetimes in
    wall-clock time, not elapsed time.
    """
    return datetime(year, month, day, hour, minute, tzinfo=PARIS, fold=fold).astimezone(UTC)
