"""Closed days from the `holidays` package: a country's public holidays plus a team's own days."""

from __future__ import annotations

from datetime import date

import pytest

from comptoir.sla.closed_days import closed_days_for


def test_it_gives_the_french_public_holidays_of_the_years_asked_for():
    closed = closed_days_for("FR", [2026, 2027])

    assert {date(2026, 5, 1), date(2026, 7, 14), date(2026, 11, 11), date(2026, 12, 25)} <= closed
    assert date(2026, 4, 6) in closed  # Easter Monday moves every year
    assert date(2027, 3, 29) in closed
    assert date(2028, 1, 1) not in closed
    assert date(2026, 6, 2) not in closed
    assert len(closed) == 22


def test_it_adds_the_teams_own_closed_days():
    closed = closed_days_for("FR", [2026], extra=[date(2026, 12, 24), date(2026, 12, 31)])

    assert {date(2026, 12, 24), date(2026, 12, 31), date(2026, 12, 25)} <= closed


def test_a_subdivision_adds_its_own_holidays():
    alsace_moselle = closed_days_for("FR", [2026], subdivision="57")

    assert alsace_moselle - closed_days_for("FR", [2026]) == {date(2026, 4, 3), date(2026, 12, 26)}


def test_no_years_gives_only_the_extra_days():
    assert closed_days_for("FR", [], extra=[date(2026, 8, 14)]) == frozenset({date(2026, 8, 14)})


@pytest.mark.parametrize(("country", "subdivision"), [("XX", None), ("FR", "ZZ")])
def test_an_unknown_country_or_subdivision_is_refused(country, subdivision):
    with pytest.raises(ValueError, match="No public holidays known"):
        closed_days_for(country, [2026], subdivision=subdivision)
