"""The ranges a lead picks, how waits read, and the chart geometry: pure functions."""

from __future__ import annotations

from datetime import date

from django.utils import translation

from comptoir.reports.charts import HEIGHT, bar_chart, line_chart, nice_top
from comptoir.reports.periods import Period, custom_period, preset_period
from comptoir.workspace.reports_views import duration_text

THURSDAY = date(2026, 5, 14)


def test_presets_end_today_or_cover_the_whole_past_range():
    assert preset_period("this_week", THURSDAY) == Period(date(2026, 5, 11), THURSDAY)
    assert preset_period("last_week", THURSDAY) == Period(date(2026, 5, 4), date(2026, 5, 10))
    assert preset_period("last_30_days", THURSDAY) == Period(date(2026, 4, 15), THURSDAY)
    assert preset_period("this_quarter", THURSDAY) == Period(date(2026, 4, 1), THURSDAY)
    assert preset_period("last_quarter", THURSDAY) == Period(date(2026, 1, 1), date(2026, 3, 31))


def test_the_previous_period_has_the_same_length_and_ends_the_day_before():
    assert Period(date(2026, 4, 1), THURSDAY).previous() == Period(date(2026, 2, 16), date(2026, 3, 31))


def test_a_custom_range_backwards_or_too_long_is_refused():
    assert custom_period(THURSDAY, date(2026, 5, 1)) is None
    assert custom_period(date(2024, 1, 1), THURSDAY) is None
    assert custom_period(date(2026, 5, 1), THURSDAY) == Period(date(2026, 5, 1), THURSDAY)
    # At the calendar's ends, the previous period (or the day after) would not be a date.
    assert custom_period(date(1, 1, 1), date(1, 1, 3)) is None
    assert custom_period(date(9999, 12, 29), date(9999, 12, 31)) is None


def test_waits_read_at_a_glance():
    with translation.override("en"):
        assert duration_text(None) == "\N{EN DASH}"
        assert duration_text(42) == "42 s"
        assert duration_text(45 * 60) == "45 min"
        assert duration_text(2.5 * 3600) == "2 h 30 min"
        assert duration_text(64.5 * 3600) == "2 d 16 h"


def test_axes_end_on_a_round_number():
    assert [nice_top(value) for value in (0, 1, 3, 7, 12, 45, 101)] == [1, 1, 5, 10, 20, 50, 200]


def test_bars_stand_on_the_baseline_in_proportion():
    chart = bar_chart(["Mon", "Tue"], [("Created", [4, 2]), ("Solved", [0, 1])])
    created_monday, solved_monday, created_tuesday, solved_tuesday = chart.bars
    assert created_monday.height == 2 * created_tuesday.height
    assert solved_monday.height == 0
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert created_monday.x < solved_monday.x < created_tuesday.x < solved_tuesday.x
    assert created_monday.colour != solved_monday.colour


def test_a_line_rises_with_its_values():
    chart = line_chart(["Mon", "Tue", "Wed"], [0, 5, 10])
    ys = [float(point.split(",")[1]) for point in chart.points.split()]
    assert ys[0] > ys[1] > ys[2]
    assert max(ys) <= HEIGHT
