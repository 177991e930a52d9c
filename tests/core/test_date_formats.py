"""Dates read one way in both languages, day first on a 24-hour clock: "3 Dec 2026, 18:18", "3 déc. 2026, 18:18".

Never "12/03/2026 6:18 p.m.", which a European reader takes for the 12th of March (comptoir/formats).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, translation

PARIS = ZoneInfo("Europe/Paris")
EVENING = datetime(2026, 12, 3, 18, 18, tzinfo=PARIS)
MORNING = datetime(2026, 7, 14, 9, 5, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("language", "moment", "short", "long"),
    [
        ("en", EVENING, "3 Dec 2026, 18:18", "3 December 2026, 18:18"),
        ("en", MORNING, "14 Jul 2026, 09:05", "14 July 2026, 09:05"),
        ("fr", EVENING, "3 déc. 2026, 18:18", "3 décembre 2026, 18:18"),
        ("fr", MORNING, "14 juil. 2026, 09:05", "14 juillet 2026, 09:05"),
    ],
)
def test_a_moment_reads_day_first_on_a_24_hour_clock(language, moment, short, long):
    with translation.override(language):
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == short
        assert formats.date_format(moment, "DATETIME_FORMAT") == long


@pytest.mark.parametrize(
    ("language", "short", "long"),
    [("en", "1 Sep 2026", "1 September 2026"), ("fr", "1 sept. 2026", "1 septembre 2026")],
)
def test_a_day_reads_day_first(language, short, long):
    with translation.override(language):
        assert formats.date_format(date(2026, 9, 1), "SHORT_DATE_FORMAT") == short
        assert formats.date_format(date(2026, 9, 1), "DATE_FORMAT") == long


def test_forms_still_read_the_dates_people_type():
    """Only the display formats are ours: a typed "2026-12-03" is still understood."""
    with translation.override("en"):
        assert "%Y-%m-%d" in formats.get_format("DATE_INPUT_FORMATS")
