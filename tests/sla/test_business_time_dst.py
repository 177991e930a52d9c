"""Clock changes: both of 2026 in Paris, skipped and repeated wall times, and clocks that change at midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from comptoir.sla.business_time import Schedule, add_business_minutes, business_minutes_between, is_open, next_opening
from tests.sla.clock import PARIS, office_week, paris

SPRING_FORWARD = date(2026, 3, 29)  # Paris: 02:00 CET becomes 03:00 CEST, at 01:00 UTC
FALL_BACK = date(2026, 10, 25)  # Paris: 03:00 CEST becomes 02:00 CET, at 01:00 UTC
EVERY_DAY = range(7)


def early_hours() -> Schedule:
    """Every day 00:00-06:00 in Paris: a range that spans both changes of the year."""
    return Schedule.from_hours(PARIS, dict.fromkeys(EVERY_DAY, ((time(0), time(6)),)))


def minutes_on(schedule: Schedule, day: date) -> int:
    """Business minutes from the local midnight that starts `day` to the next one."""
    after = day + timedelta(days=1)
    return business_minutes_between(
        schedule, paris(day.year, day.month, day.day), paris(after.year, after.month, after.day)
    )


def test_a_range_spanning_the_spring_change_is_an_hour_shorter():
    hours = early_hours()

    assert minutes_on(hours, SPRING_FORWARD - timedelta(days=1)) == 6 * 60
    assert minutes_on(hours, SPRING_FORWARD) == 5 * 60
    assert add_business_minutes(hours, paris(2026, 3, 29), 5 * 60) == paris(2026, 3, 29, 6)


def test_a_range_spanning_the_autumn_change_is_an_hour_longer():
    hours = early_hours()

    assert minutes_on(hours, FALL_BACK) == 7 * 60
    assert minutes_on(hours, FALL_BACK + timedelta(days=1)) == 6 * 60
    assert add_business_minutes(hours, paris(2026, 10, 25), 7 * 60) == paris(2026, 10, 25, 6)
    # Both readings of 02:30 are open: the repeated hour is business time too.
    assert is_open(hours, paris(2026, 10, 25, 2, 30, fold=0))
    assert is_open(hours, paris(2026, 10, 25, 2, 30, fold=1))


def test_office_hours_keep_their_wall_clock_times_across_both_changes():
    week = office_week()

    assert add_business_minutes(week, paris(2026, 3, 27, 17), 4 * 60) == datetime(2026, 3, 30, 10, tzinfo=UTC)
    assert add_business_minutes(week, paris(2026, 10, 23, 17), 4 * 60) == datetime(2026, 10, 26, 11, tzinfo=UTC)
    assert business_minutes_between(week, paris(2026, 3, 23), paris(2026, 4, 6)) == 2 * 40 * 60
    assert business_minutes_between(week, paris(2026, 10, 19), paris(2026, 11, 2)) == 2 * 40 * 60


def test_a_night_range_across_the_changes_is_seven_then_nine_hours():
    nights = Schedule.from_hours(PARIS, dict.fromkeys(EVERY_DAY, ((time(22), time(6)),)))

    # Noon to noon holds exactly one night: Saturday 22:00 to Sunday 06:00.
    assert business_minutes_between(nights, paris(2026, 3, 28, 12), paris(2026, 3, 29, 12)) == 7 * 60
    assert business_minutes_between(nights, paris(2026, 10, 24, 12), paris(2026, 10, 25, 12)) == 9 * 60
    assert business_minutes_between(nights, paris(2026, 10, 25, 12), paris(2026, 10, 26, 12)) == 8 * 60
    assert add_business_minutes(nights, paris(2026, 3, 28, 22), 7 * 60) == paris(2026, 3, 29, 6)


def test_a_skipped_opening_time_opens_when_the_clock_jumps_past_it():
    sunday_night = Schedule.from_hours(PARIS, {6: [(time(2, 30), time(4))]})

    # 02:30 never shows on 29 March: the range opens at the jump, 03:00 CEST.
    assert next_opening(sunday_night, paris(2026, 3, 29)) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert minutes_on(sunday_night, SPRING_FORWARD) == 60
    assert minutes_on(sunday_night, SPRING_FORWARD + timedelta(days=7)) == 90


def test_a_range_inside_the_skipped_hour_does_not_open_that_day():
    skipped = Schedule.from_hours(PARIS, {6: [(time(2), time(2, 59))]})

    assert minutes_on(skipped, SPRING_FORWARD) == 0
    assert next_opening(skipped, paris(2026, 3, 29)) == paris(2026, 4, 5, 2)


def test_a_repeated_opening_time_is_its_first_occurrence():
    repeated = Schedule.from_hours(PARIS, {6: [(time(2, 15), time(2, 45))]})

    assert next_opening(repeated, paris(2026, 10, 25)) == paris(2026, 10, 25, 2, 15, fold=0)  # 00:15 UTC
    assert is_open(repeated, paris(2026, 10, 25, 2, 30, fold=0))
    assert not is_open(repeated, paris(2026, 10, 25, 2, 30, fold=1))  # the second 02:30 is an hour later
    assert minutes_on(repeated, FALL_BACK) == 30


def test_clocks_that_change_at_midnight():
    # Santiago: on 5 April 2026 midnight (-03) becomes 23:00 on the 4th (-04); on
    # 6 September 2026 midnight (-04) becomes 01:00 (-03), so that 00:00 never shows.
    santiago = ZoneInfo("America/Santiago")
    schedule = Schedule.from_hours(santiago, {5: [(time(22), time(0))], 6: [(time(0), time(6))]})

    def midnight(year: int, month: int, day: int) -> datetime:
        return datetime(year, month, day, tzinfo=santiago)

    assert business_minutes_between(schedule, midnight(2026, 4, 4), midnight(2026, 4, 6)) == 3 * 60 + 6 * 60
    assert business_minutes_between(schedule, midnight(2026, 9, 5), midnight(2026, 9, 7)) == 2 * 60 + 5 * 60
    # Saturday 22:00 to midnight, then Sunday from the jump (01:00) to 06:00: one stretch.
    saturday_ten_pm = datetime(2026, 9, 6, 2, tzinfo=UTC)
    assert add_business_minutes(schedule, saturday_ten_pm, 2 * 60) == datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert add_business_minutes(schedule, saturday_ten_pm, 7 * 60) == datetime(2026, 9, 6, 9, tzinfo=UTC)
    sunday_only = Schedule.from_hours(santiago, {6: [(time(0), time(6))]})
    assert next_opening(sunday_only, saturday_ten_pm) == datetime(2026, 9, 6, 4, tzinfo=UTC)
