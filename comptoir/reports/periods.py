"""The date ranges a lead picks (this week, last week, last 30 days, this quarter, custom) and the one before.

Pure: days in, days out. A range is whole days in the team's time zone, both ends included;
the comparison is the range of the same length that ends the day before it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from comptoir.reports.facts import team_zone

PRESETS = ("this_week", "last_week", "last_30_days", "this_quarter", "last_quarter")
DEFAULT_PRESET = "last_30_days"
# A custom range longer than this is refused: the page draws one bar per day.
MAX_DAYS = 400


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range(self.days)]

    def previous(self) -> Period:
        last = self.first - timedelta(days=1)
        return Period(last - timedelta(days=self.days - 1), last)

    def starts_at(self) -> datetime:
        """The first instant of the range, in the team's time zone."""
        return datetime.combine(self.first, time.min, tzinfo=team_zone())

    def ends_before(self) -> datetime:
        """The first instant after the range."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=team_zone())


def preset_period(name: str, today: date) -> Period:
    if name == "this_week":
        monday = today - timedelta(days=today.weekday())
        return Period(monday, today)
    if name == "last_week":
        monday = today - timedelta(days=today.weekday() + 7)
        return Period(monday, monday + timedelta(days=6))
    if name == "this_quarter":
        return Period(_quarter_start(today), today)
    if name == "last_quarter":
        end = _quarter_start(today) - timedelta(days=1)
        return Period(_quarter_start(end), end)
    return Period(today - timedelta(days=29), today)


# Typed ranges stay where the previous period and the day after the end are dates too.
EARLIEST = date(1970, 1, 1)
LATEST = date(9000, 12, 31)


def custom_period(first: date, last: date) -> Period | None:
    """The range typed, or None when it is backwards, too long to draw, or out of the calendar's reach."""
    if last < first or (last - first).days + 1 > MAX_DAYS or first < EARLIEST or last > LATEST:
        return None
    return Period(first, last)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
