"""Business-time arithmetic on ordinary weeks: office hours, weekends, holidays, night shifts, New York."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta

import pytest

from comptoir.sla import business_time
from comptoir.sla.business_time import (
    NoOpeningError,
    Schedule,
    add_business_minutes,
    add_business_time,
    always_open,
    business_minutes_between,
    business_time_between,
    is_open,
    next_opening,
)
from comptoir.sla.closed_days import closed_days_for
from tests.sla.clock import MONDAY_TO_FRIDAY, NEW_YORK, PARIS, office_week, paris

# --- a normal week: Monday to Friday, 09:00-12:00 and 13:00-18:00 in Paris ---


def test_it_is_open_from_the_start_of_a_range_until_just_before_its_end():
    week = office_week()

    assert is_open(week, paris(2026, 6, 2, 9))
    assert is_open(week, paris(2026, 6, 2, 11, 59))
    assert not is_open(week, paris(2026, 6, 2, 12))  # lunch
    assert is_open(week, paris(2026, 6, 2, 13))
    assert not is_open(week, paris(2026, 6, 2, 18))
    assert not is_open(week, paris(2026, 6, 2, 8, 59))
    assert not is_open(week, paris(2026, 6, 6, 10))  # Saturday


def test_a_week_holds_forty_business_hours():
    assert business_minutes_between(office_week(), paris(2026, 6, 1), paris(2026, 6, 8)) == 40 * 60


def test_adding_skips_lunch():
    assert add_business_minutes(office_week(), paris(2026, 6, 2, 11, 45), 30) == paris(2026, 6, 2, 13, 15)


def test_friday_evening_plus_four_business_hours_lands_on_monday_noon():
    week = office_week()
    friday_five_pm = paris(2026, 6, 5, 17)

    due = add_business_minutes(week, friday_five_pm, 4 * 60)

    # One hour on Friday, three on Monday morning: the minutes are spent by the
    # close at noon, so the answer is 12:00, not the 13:00 reopening.
    assert due == paris(2026, 6, 8, 12)
    assert due.tzinfo is UTC
    assert not is_open(week, due)
    assert business_minutes_between(week, friday_five_pm, due) == 240
    assert business_minutes_between(week, friday_five_pm, paris(2026, 6, 8, 13)) == 240


def test_from_a_closed_instant_the_clock_starts_at_the_next_opening():
    week = office_week()

    assert add_business_minutes(week, paris(2026, 6, 6, 15), 1) == paris(2026, 6, 8, 9, 1)
    assert business_minutes_between(week, paris(2026, 6, 6, 15), paris(2026, 6, 8, 9, 1)) == 1


def test_adding_nothing_gives_the_instant_back_even_when_closed():
    saturday = paris(2026, 6, 6, 15)

    assert add_business_minutes(office_week(), saturday, 0) == saturday
    assert add_business_minutes(office_week(), saturday, 0).tzinfo is UTC


def test_business_time_is_counted_to_the_microsecond_and_signed():
    week = office_week()
    start = paris(2026, 6, 2, 10)
    end = start + timedelta(minutes=1, seconds=59, microseconds=7)

    assert business_time_between(week, start, end) == timedelta(minutes=1, seconds=59, microseconds=7)
    assert business_time_between(week, end, start) == -timedelta(minutes=1, seconds=59, microseconds=7)
    # Whole minutes truncate toward zero, both ways.
    assert business_minutes_between(week, start, end) == 1
    assert business_minutes_between(week, end, start) == -1
    assert add_business_time(week, start, timedelta(seconds=90)) == start + timedelta(seconds=90)


def test_adding_a_negative_duration_is_refused():
    with pytest.raises(ValueError, match="forward only"):
        add_business_minutes(office_week(), paris(2026, 6, 2, 10), -1)


def test_overlapping_ranges_count_once():
    doubled = Schedule.from_hours(PARIS, {0: [(time(9), time(12)), (time(10), time(11)), (time(11), time(14))]})

    assert business_minutes_between(doubled, paris(2026, 6, 1), paris(2026, 6, 2)) == 5 * 60
    assert add_business_minutes(doubled, paris(2026, 6, 1, 9), 5 * 60) == paris(2026, 6, 1, 14)


# --- holidays ---


def test_a_holiday_on_a_weekday_is_skipped():
    week = office_week(closed_days_for("FR", [2026]))  # Wednesday 11 November, Armistice Day

    assert not is_open(week, paris(2026, 11, 11, 10))
    assert add_business_minutes(week, paris(2026, 11, 10, 17), 2 * 60) == paris(2026, 11, 12, 10)
    assert business_minutes_between(week, paris(2026, 11, 9), paris(2026, 11, 16)) == 32 * 60


def test_next_opening_is_the_instant_itself_when_open():
    instant = paris(2026, 6, 2, 10, 17)

    assert next_opening(office_week(), instant) == instant


def test_next_opening_skips_lunch_the_weekend_and_a_holiday():
    week = office_week(closed_days_for("FR", [2026]))

    assert next_opening(week, paris(2026, 6, 2, 12, 30)) == paris(2026, 6, 2, 13)
    assert next_opening(week, paris(2026, 6, 5, 18)) == paris(2026, 6, 8, 9)
    assert next_opening(week, paris(2026, 11, 10, 18, 30)) == paris(2026, 11, 12, 9)
    # Christmas on Friday 25 December 2026, then the weekend.
    assert next_opening(week, paris(2026, 12, 24, 19)) == paris(2026, 12, 28, 9)


# --- a night shift: 22:00-06:00, a range that crosses midnight ---


def night_shift(closed_days: frozenset[date] = frozenset()) -> Schedule:
    """Sunday to Thursday nights, 22:00-06:00: the ranges start Sunday to Thursday."""
    return Schedule.from_hours(PARIS, dict.fromkeys((6, 0, 1, 2, 3), ((time(22), time(6)),)), closed_days)


def test_a_night_range_runs_into_the_next_morning():
    nights = night_shift()

    assert is_open(nights, paris(2026, 6, 2, 23))  # Tuesday night
    assert is_open(nights, paris(2026, 6, 3, 5, 59))  # ... until Wednesday 06:00
    assert not is_open(nights, paris(2026, 6, 3, 6))
    assert is_open(nights, paris(2026, 6, 5, 3))  # Friday morning, Thursday's night
    assert not is_open(nights, paris(2026, 6, 6, 3))  # no Friday night
    assert add_business_minutes(nights, paris(2026, 6, 2, 23), 2 * 60) == paris(2026, 6, 3, 1)
    assert add_business_minutes(nights, paris(2026, 6, 5, 5), 2 * 60) == paris(2026, 6, 7, 23)
    assert business_minutes_between(nights, paris(2026, 6, 1), paris(2026, 6, 8)) == 5 * 8 * 60


def test_a_closed_day_closes_the_night_that_starts_on_it_not_the_one_that_ends_on_it():
    nights = night_shift(frozenset({date(2026, 11, 11)}))  # Wednesday

    # Tuesday night started before the holiday: it runs until Wednesday 06:00.
    assert is_open(nights, paris(2026, 11, 11, 3))
    # Wednesday night starts on the holiday: closed, until Thursday 22:00.
    assert not is_open(nights, paris(2026, 11, 11, 23))
    assert not is_open(nights, paris(2026, 11, 12, 3))
    assert next_opening(nights, paris(2026, 11, 11, 6)) == paris(2026, 11, 12, 22)
    assert business_minutes_between(nights, paris(2026, 11, 10, 20), paris(2026, 11, 12, 23)) == 8 * 60 + 60


def test_a_range_ending_at_midnight_and_a_whole_day_range():
    evenings = Schedule.from_hours(PARIS, {0: [(time(18), time(0))], 1: [(time(0), time(0))]})

    assert business_minutes_between(evenings, paris(2026, 6, 1), paris(2026, 6, 3)) == 6 * 60 + 24 * 60
    assert is_open(evenings, paris(2026, 6, 1, 23, 59))
    assert is_open(evenings, paris(2026, 6, 2))
    assert not is_open(evenings, paris(2026, 6, 3))


# --- another zone: America/New_York ---


def test_a_new_york_schedule_counts_in_new_york_hours_and_holidays():
    new_york = Schedule.from_hours(
        NEW_YORK, dict.fromkeys(MONDAY_TO_FRIDAY, ((time(9), time(17)),)), closed_days_for("US", [2026])
    )
    friday_four_pm = datetime(2026, 3, 6, 16, tzinfo=NEW_YORK)  # EST, UTC-5

    # Clocks go forward on Sunday 8 March: Monday 10:00 is EDT, UTC-4.
    assert add_business_minutes(new_york, friday_four_pm, 2 * 60) == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert is_open(new_york, datetime(2026, 6, 2, 14, tzinfo=UTC))  # 10:00 in New York
    assert not is_open(new_york, datetime(2026, 6, 2, 22, tzinfo=UTC))  # 18:00 in New York, midnight in Paris
    # Independence Day falls on a Saturday in 2026 and is observed on Friday 3 July.
    assert next_opening(new_york, datetime(2026, 7, 2, 22, tzinfo=UTC)) == datetime(2026, 7, 6, 9, tzinfo=NEW_YORK)


# --- calendar time: the always-open schedule ---


def test_calendar_time_is_elapsed_time_across_a_clock_change():
    calendar = always_open(PARIS)
    start = paris(2026, 3, 28, 12)

    # 48 elapsed hours from Saturday 12:00 CET is Monday 13:00 CEST.
    assert add_business_minutes(calendar, start, 48 * 60) == start + timedelta(hours=48)
    assert add_business_minutes(calendar, start, 48 * 60) == paris(2026, 3, 30, 13)
    assert business_time_between(calendar, start, paris(2026, 3, 30, 12)) == timedelta(hours=47)  # one hour skipped
    assert is_open(calendar, paris(2026, 3, 29, 3))
    assert next_opening(calendar, start) == start


def test_calendar_time_with_a_closed_day_skips_that_local_day():
    calendar = always_open(PARIS, closed_days=[date(2026, 7, 14)])

    assert not is_open(calendar, paris(2026, 7, 14, 12))
    assert add_business_minutes(calendar, paris(2026, 7, 13, 23), 120) == paris(2026, 7, 15, 1)


# --- refusals ---


@pytest.mark.parametrize(
    "call",
    [
        lambda s, naive: add_business_minutes(s, naive, 10),
        lambda s, naive: business_minutes_between(s, naive, paris(2026, 6, 2)),
        lambda s, naive: business_minutes_between(s, paris(2026, 6, 2), naive),
        lambda s, naive: next_opening(s, naive),
        lambda s, naive: is_open(s, naive),
    ],
    ids=["add", "between-start", "between-end", "next-opening", "is-open"],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="must be an aware datetime"):
        call(office_week(), datetime(2026, 6, 2, 10))


def test_an_always_closed_schedule_raises_instead_of_looping():
    closed = Schedule.from_hours(PARIS, {})

    with pytest.raises(NoOpeningError, match="no opening range"):
        add_business_minutes(closed, paris(2026, 6, 2), 1)
    with pytest.raises(NoOpeningError):
        next_opening(closed, paris(2026, 6, 2))
    assert not is_open(closed, paris(2026, 6, 2))
    assert business_minutes_between(closed, paris(2026, 6, 2), paris(2027, 6, 2)) == 0


def test_a_schedule_shut_by_its_closed_days_for_years_raises_after_the_search_bound():
    mondays = {date(2026, 6, 1) + timedelta(weeks=n) for n in range(5 * 53)}
    only_mondays = Schedule.from_hours(PARIS, {0: [(time(9), time(10))]}, mondays)

    with pytest.raises(NoOpeningError, match="does not open in the 1098 days"):
        add_business_minutes(only_mondays, paris(2026, 6, 1), 1)
    with pytest.raises(NoOpeningError):
        next_opening(only_mondays, paris(2026, 6, 1))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"zone": "Europe/Paris", "weekly": ((),) * 7}, TypeError, "ZoneInfo"),
        ({"zone": PARIS, "weekly": ((),) * 5}, ValueError, "7 entries"),
        ({"zone": PARIS, "weekly": (((time(9, tzinfo=UTC), time(10)),),) + ((),) * 6}, ValueError, "wall-clock"),
        ({"zone": PARIS, "weekly": (((9, 10),),) + ((),) * 6}, TypeError, "datetime.time"),
        ({"zone": PARIS, "weekly": ((),) * 7, "closed_days": frozenset({datetime(2026, 1, 1)})}, TypeError, "dates"),
    ],
    ids=["zone-name", "six-days", "aware-time", "hours-as-ints", "datetime-closed-day"],
)
def test_a_malformed_schedule_is_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        Schedule(**kwargs)


def test_from_hours_refuses_a_weekday_out_of_range():
    with pytest.raises(ValueError, match="Weekdays are 0"):
        Schedule.from_hours(PARIS, {7: [(time(9), time(10))]})


def test_the_arithmetic_imports_neither_django_nor_the_holiday_data():
    # A fresh interpreter loading the file alone: importing `comptoir` itself loads
    # Celery and Django, and this interpreter has Django loaded by pytest-django.
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('business_time', {business_time.__file__!r})\n"
        "module = sys.modules['business_time'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "assert module.add_business_minutes(module.always_open(), module.datetime.now(module.UTC), 1)\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'comptoir', 'django', 'holidays'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"
