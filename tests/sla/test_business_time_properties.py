"""Properties of the business-time arithmetic over random schedules, instants and durations (Hypothesis).

The schedules have 0-3 ranges a weekday, many crossing midnight, random closed
days, in zones with and without clock changes (one changes at midnight, one by
30 minutes). Instants are whole minutes, often close to a clock change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from comptoir.sla.business_time import (
    Schedule,
    add_business_minutes,
    business_minutes_between,
    business_time_between,
    is_open,
    next_opening,
)

# Quick enough for every run; no example database left in the work tree.
QUICK = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

ZONES = [
    ZoneInfo(name) for name in ("UTC", "Europe/Paris", "America/New_York", "America/Santiago", "Australia/Lord_Howe")
]
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
TICK = timedelta(microseconds=1)


def clock_changes() -> list[tuple[ZoneInfo, datetime]]:
    """Each zone's offset changes between START and END, with their instants (to the hour)."""
    changes = []
    for zone in ZONES:
        day = START
        while day < END:
            if day.astimezone(zone).utcoffset() != (day + timedelta(days=1)).astimezone(zone).utcoffset():
                hour = day
                while hour.astimezone(zone).utcoffset() == day.astimezone(zone).utcoffset():
                    hour += timedelta(hours=1)
                changes.append((zone, hour))
            day += timedelta(days=1)
    return changes


CHANGES = clock_changes()

# Few draws per example: Hypothesis' own work is most of these tests' time. Wall
# times lean toward the hours clocks change in (01:00-03:30, around midnight).
wall_times = st.one_of(
    st.integers(0, 24 * 60 - 1), st.integers(60, 210), st.integers(23 * 60, 24 * 60 + 60).map(lambda m: m % (24 * 60))
).map(lambda minute: time(*divmod(minute, 60)))
closed_days = st.integers(0, 400).map(lambda n: date(2025, 12, 20) + timedelta(days=n))


def schedule_of(zone: ZoneInfo, ranges: list[tuple[int, time, time]], closed: frozenset[date]) -> Schedule:
    return Schedule.from_hours(
        zone,
        {weekday: [(opens, closes) for day, opens, closes in ranges if day == weekday] for weekday in range(7)},
        closed,
    )


schedules = st.builds(
    schedule_of,
    st.sampled_from(ZONES),
    st.lists(st.tuples(st.integers(0, 6), wall_times, wall_times), min_size=1, max_size=12),
    st.frozensets(closed_days, max_size=10),
)
instants = st.integers(0, (END - START) // MINUTE).map(lambda minutes: START + minutes * MINUTE) | st.builds(
    lambda change, minutes: change[1] + minutes * MINUTE, st.sampled_from(CHANGES), st.integers(-12 * 60, 12 * 60)
)


@st.composite
def near_a_change(draw: st.DrawFn) -> tuple[Schedule, datetime]:
    """A schedule whose ranges start on the day of one of its zone's clock changes or the day before, and
    an instant up to 12 hours before that change."""
    zone, change = draw(st.sampled_from(CHANGES))
    day = change.astimezone(zone).date()
    weekdays = st.sampled_from([day.weekday(), (day - timedelta(days=1)).weekday()])
    ranges = draw(st.lists(st.tuples(weekdays, wall_times, wall_times), min_size=1, max_size=6))
    closed = draw(st.sampled_from([frozenset(), frozenset({day}), frozenset({day - timedelta(days=1)})]))
    return schedule_of(zone, ranges, closed), change - draw(st.integers(0, 12 * 60)) * MINUTE


durations = st.integers(0, 3000)


@QUICK
@given(schedules, instants, durations)
def test_between_an_instant_and_n_minutes_later_is_n(schedule, start, minutes):
    due = add_business_minutes(schedule, start, minutes)

    assert business_minutes_between(schedule, start, due) == minutes
    assert business_time_between(schedule, start, due) == minutes * MINUTE


@QUICK
@given(schedules, instants, instants, instants)
def test_between_is_additive(schedule, x, y, z):
    a, b, c = sorted((x, y, z))

    assert business_time_between(schedule, a, b) + business_time_between(schedule, b, c) == business_time_between(
        schedule, a, c
    )
    # Whole minutes add up too: the instants and every range bound are whole minutes.
    assert business_minutes_between(schedule, a, b) + business_minutes_between(
        schedule, b, c
    ) == business_minutes_between(schedule, a, c)
    assert business_time_between(schedule, c, a) == -business_time_between(schedule, a, c)


@QUICK
@given(schedules, instants, durations, durations)
def test_adding_is_monotonic_in_the_duration(schedule, start, n, m):
    shorter, longer = sorted((n, m))

    assert start <= add_business_minutes(schedule, start, shorter) <= add_business_minutes(schedule, start, longer)


@QUICK
@given(schedules, instants, durations.filter(bool))
def test_adding_lands_on_an_open_instant_or_the_end_of_a_range(schedule, start, minutes):
    due = add_business_minutes(schedule, start, minutes)

    assert is_open(schedule, due) or is_open(schedule, due - TICK)
    # Stronger: the last minute counted was open, so the instant just before is.
    assert is_open(schedule, due - TICK)


@QUICK
@given(schedules, instants)
def test_next_opening_is_the_instant_when_open_and_the_first_open_instant_otherwise(schedule, instant):
    opening = next_opening(schedule, instant)

    assert is_open(schedule, opening)
    assert (opening == instant) == is_open(schedule, instant)
    assert business_time_between(schedule, instant, opening) == timedelta(0)
    # Every range bound is a whole minute, so an opening lasts at least a minute.
    assert add_business_minutes(schedule, instant, 1) == opening + MINUTE


def wall_clock_open_minutes(schedule: Schedule, start: datetime, end: datetime) -> int:
    """An independent count, minute by minute, from the local clock alone.

    A wall time is reached once the clock has shown it or later, so a range is
    open while the highest reading so far lies in [start, end) of the range.
    Three hours of warm-up carry that highest reading through a repeated hour.
    """
    highest = None
    open_minutes = 0
    instant = start - timedelta(hours=3)
    while instant < end:
        reading = instant.astimezone(schedule.zone).replace(tzinfo=None)
        highest = reading if highest is None else max(highest, reading)
        if instant >= start and opens_at(schedule, highest):
            open_minutes += 1
        instant += MINUTE
    return open_minutes


def opens_at(schedule: Schedule, wall: datetime) -> bool:
    for day in (wall.date() - timedelta(days=1), wall.date()):
        if day in schedule.closed_days:
            continue
        for opening, closing in schedule.weekly[day.weekday()]:
            begins = datetime.combine(day, opening)
            ends = datetime.combine(day if closing > opening else day + timedelta(days=1), closing)
            if begins <= wall < ends:
                return True
    return False


@settings(QUICK, max_examples=100)
@given(schedules, instants, st.integers(0, 24 * 60))
def test_between_matches_a_minute_by_minute_count_from_the_wall_clock(schedule, start, length):
    end = start + length * MINUTE
    assume(end <= END)

    assert business_minutes_between(schedule, start, end) == wall_clock_open_minutes(schedule, start, end)


@settings(QUICK, max_examples=150)
@given(near_a_change(), st.integers(0, 24 * 60))
def test_between_matches_the_wall_clock_count_across_a_clock_change(schedule_and_start, length):
    schedule, start = schedule_and_start
    end = start + length * MINUTE

    assert business_minutes_between(schedule, start, end) == wall_clock_open_minutes(schedule, start, end)
    assert business_minutes_between(schedule, start, add_business_minutes(schedule, start, length)) == length
