"""Business-time arithmetic: pure functions over a weekly schedule, no Django, no database.

A `Schedule` says when a team is open: a time zone, opening ranges per weekday
in local wall-clock time, and closed days (holidays, the team's own days off).
From it the functions below answer "when is it N business minutes after this
instant?", "how much business time lies between these two instants?", "when
does it next open?" and "is it open now?". docs/sla.md gives the rules; in short:

- Instants in and out are aware datetimes; results are in UTC. Naive ones are
  refused with a ValueError: a guessed zone is a deadline off by hours.
- A range belongs to the local date it starts on, and runs from its start to
  its end on that date; an end at or before the start means the end on the next
  date (22:00-06:00 is a night; 09:00-00:00 runs until midnight; 00:00-00:00 is
  the whole day). A closed day closes the ranges that start on it: Tuesday's
  22:00-06:00 still runs until 06:00 on a Wednesday holiday.
- A wall-clock time is the first instant at which the local clock shows that
  time or later. Hence an ambiguous time (the hour repeated when clocks go back)
  is its first occurrence (fold=0 in PEP 495 terms), and a time that does not
  exist (the hour skipped when clocks go forward) is the instant of the jump:
  a range opening at 02:30 on the last Sunday of March in Paris opens at 03:00.
  So a range spanning a change is one hour shorter or longer in business time.
- Business time is exact: a `timedelta` (microseconds, integer arithmetic), so
  `business_time_between` is additive and agrees exactly with
  `add_business_time`. The minute functions are the SLA-facing wrappers: whole
  minutes in, whole minutes out (truncated toward zero).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

OpeningRange = tuple[time, time]

# A search for the next opening gives up after this many local dates in a row
# without one (three years): a schedule that never opens must raise, not loop.
SEARCH_DAYS = 3 * 366

_ONE_DAY = timedelta(days=1)
_MINUTE = timedelta(minutes=1)
_TICK = timedelta(microseconds=1)


class NoOpeningError(ValueError):
    """The schedule has no opening within the search bound (SEARCH_DAYS), or none at all."""


@dataclass(frozen=True)
class Schedule:
    """When a team is open.

    `weekly` has seven entries, Monday first (`date.weekday()`), each a tuple of
    `(start, end)` naive wall-clock times; ranges may overlap (their union counts)
    and are kept sorted. `closed_days` are dates of the schedule's local calendar.
    """

    zone: ZoneInfo
    weekly: tuple[tuple[OpeningRange, ...], ...]
    closed_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.zone, ZoneInfo):
            raise TypeError(f"Schedule.zone must be a zoneinfo.ZoneInfo, not {self.zone!r}.")
        if len(self.weekly) != 7:
            raise ValueError(f"Schedule.weekly needs 7 entries (Monday first), got {len(self.weekly)}.")
        weekly = tuple(tuple(sorted(_checked_range(r) for r in day)) for day in self.weekly)
        closed = frozenset(self.closed_days)
        if any(not isinstance(d, date) or isinstance(d, datetime) for d in closed):
            raise TypeError("Schedule.closed_days must hold dates, not datetimes or other values.")
        # Frozen: normalise through object.__setattr__, once, at construction.
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "closed_days", closed)

    @classmethod
    def from_hours(
        cls,
        zone: str | ZoneInfo,
        hours: Mapping[int, Iterable[OpeningRange]],
        closed_days: Iterable[date] = (),
    ) -> Schedule:
        """A schedule from `{weekday: [(start, end), ...]}`, Monday = 0; missing weekdays are closed."""
        if set(hours) - set(range(7)):
            raise ValueError(f"Weekdays are 0 (Monday) to 6 (Sunday), got {sorted(hours)}.")
        return cls(
            zone=zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone),
            weekly=tuple(tuple(hours.get(weekday, ())) for weekday in range(7)),
            closed_days=frozenset(closed_days),
        )

    @property
    def never_opens(self) -> bool:
        return not any(self.weekly)


def always_open(zone: ZoneInfo | None = None, closed_days: Iterable[date] = ()) -> Schedule:
    """Calendar time as a schedule: every day 00:00-00:00, so business time is elapsed time.

    The zone only matters for which local dates `closed_days` remove.
    """
    whole_day = ((time(0), time(0)),)
    return Schedule(zone=zone or ZoneInfo("UTC"), weekly=(whole_day,) * 7, closed_days=frozenset(closed_days))


def add_business_time(schedule: Schedule, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant at which `duration` of business time has passed since `start`.

    A zero duration gives `start` itself (in UTC), even when closed. Otherwise the
    result is an open instant or the end of an opening range (the end, not the
    next opening: business minutes are spent by the close). Raises NoOpeningError
    when the schedule stays shut for SEARCH_DAYS local dates in a row.
    """
    start = _utc(start, "start")
    if duration < timedelta(0):
        raise ValueError(f"Business time is added forward only, got {duration}.")
    if not duration:
        return start
    remaining = duration
    for opens, closes in _open_intervals(schedule, _local_date(schedule, start) - _ONE_DAY):
        if closes <= start:
            continue
        begin = max(opens, start)
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise AssertionError("unreachable: _open_intervals is endless or raises")  # pragma: no cover


def add_business_minutes(schedule: Schedule, start: datetime, minutes: int) -> datetime:
    """`add_business_time` in whole minutes, the unit of SLA targets."""
    return add_business_time(schedule, start, timedelta(minutes=minutes))


def business_time_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """The open time in [start, end), exactly; negative when end is before start.

    Additive: between(a, b) + between(b, c) == between(a, c), whatever the order.
    """
    start, end = _utc(start, "start"), _utc(end, "end")
    if end < start:
        return -business_time_between(schedule, end, start)
    total = timedelta(0)
    # One date of margin on both sides: ranges cross midnight, and clocks going
    # back across midnight can put a later date's first range before `end`.
    last = _local_date(schedule, end) + _ONE_DAY
    for opens, closes in _open_intervals(schedule, _local_date(schedule, start) - _ONE_DAY, last):
        if opens >= end:
            break
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta(0):
            total += overlap
    return total


def business_minutes_between(schedule: Schedule, start: datetime, end: datetime) -> int:
    """`business_time_between` in whole minutes, truncated toward zero.

    Exact for minute-aligned instants, which is what `add_business_minutes`
    returns from a minute-aligned start. Sum `business_time_between` rather than
    this when adding up many pieces (a clock paused and resumed).
    """
    elapsed = business_time_between(schedule, start, end)
    return elapsed // _MINUTE if elapsed >= timedelta(0) else -(-elapsed // _MINUTE)


def next_opening(schedule: Schedule, instant: datetime) -> datetime:
    """`instant` itself (in UTC) when open, else the start of the next opening range."""
    instant = _utc(instant, "instant")
    for opens, closes in _open_intervals(schedule, _local_date(schedule, instant) - _ONE_DAY):
        if closes > instant:
            return max(opens, instant)
    raise AssertionError("unreachable: _open_intervals is endless or raises")  # pragma: no cover


def is_open(schedule: Schedule, instant: datetime) -> bool:
    """Whether `instant` lies in an opening range: a range includes its start, not its end."""
    instant = _utc(instant, "instant")
    day = _local_date(schedule, instant)
    for opens, closes in _open_intervals(schedule, day - _ONE_DAY, day + _ONE_DAY):
        if opens > instant:
            return False
        if instant < closes:
            return True
    return False


def _checked_range(value: OpeningRange) -> OpeningRange:
    start, end = value
    for bound in (start, end):
        if not isinstance(bound, time):
            raise TypeError(f"Opening ranges are pairs of datetime.time, got {bound!r}.")
        if bound.tzinfo is not None:
            raise ValueError(f"Opening times are wall-clock times in the schedule's zone, got {bound!r}.")
    return start.replace(fold=0), end.replace(fold=0)


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (UTC or any zone), got the naive {value.isoformat()}.")
    return value.astimezone(UTC)


def _local_date(schedule: Schedule, instant: datetime) -> date:
    return instant.astimezone(schedule.zone).date()


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _instant(zone: ZoneInfo, day: date, wall_time: time) -> datetime:
    """The first instant (UTC) at which the clock in `zone` shows `day wall_time` or later."""
    # fold=0: an ambiguous time is its first occurrence, which is when the clock first shows it.
    first = datetime.combine(day, wall_time, tzinfo=zone).astimezone(UTC)
    local = first.astimezone(zone)
    if local.time() == wall_time and local.date() == day:
        return first
    wall = datetime.combine(day, wall_time)
    # `wall` is skipped by a jump forward. fold=0 read it with the offset before the
    # jump and landed after the jump; fold=1 reads it with the offset after and lands
    # before. The clock passes `wall` at the jump itself, which lies between: bisect.
    low, high = wall.replace(tzinfo=zone, fold=1).astimezone(UTC), first
    while high - low > _TICK:
        middle = low + (high - low) // 2
        if _wall(middle, zone) >= wall:
            high = middle
        else:
            low = middle
    return high


# Schedules change rarely and SLA clocks ask about the same weeks again and
# again; the zone conversions are the cost of this module.
@functools.lru_cache(maxsize=8192)
def _day_intervals(schedule: Schedule, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The UTC intervals of the ranges that start on local `day`, ordered by start."""
    if day in schedule.closed_days:
        return ()
    intervals = []
    for opens, closes in schedule.weekly[day.weekday()]:
        start = _instant(schedule.zone, day, opens)
        end = _instant(schedule.zone, day if closes > opens else day + _ONE_DAY, closes)
        if start < end:  # a range inside a skipped hour is empty
            intervals.append((start, end))
    return tuple(intervals)


def _open_intervals(schedule: Schedule, first: date, last: date | None = None) -> Iterator[tuple[datetime, datetime]]:
    """Disjoint opening intervals, half-open and in order, of the ranges starting on `first`..`last`.

    Starts never go backwards (a wall time's instant grows with the wall time), so
    clipping each interval at the end of the previous ones removes overlaps. With no
    `last` the stream is endless, and raises NoOpeningError after SEARCH_DAYS quiet dates.
    """
    if last is None and schedule.never_opens:
        raise NoOpeningError("The schedule has no opening range on any weekday.")
    frontier: datetime | None = None
    quiet = 0
    day = first
    while last is None or day <= last:
        intervals = _day_intervals(schedule, day)
        quiet = 0 if intervals else quiet + 1
        if last is None and quiet > SEARCH_DAYS:
            raise NoOpeningError(
                f"The schedule does not open in the {SEARCH_DAYS} days after {day - SEARCH_DAYS * _ONE_DAY}."
            )
        for start, end in intervals:
            if frontier is not None:
                start = max(start, frontier)
            if start < end:
                yield start, end
                frontier = end
        day += _ONE_DAY
