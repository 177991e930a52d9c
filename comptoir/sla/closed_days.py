"""Closed days from a country's public holidays (the PyPI `holidays` package) plus a team's own.

Kept apart from `business_time` so that the arithmetic stays free of a data
package whose holiday lists change with its releases: a schedule only ever
sees the resulting frozenset of dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def closed_days_for(
    country: str,
    years: Iterable[int],
    extra: Iterable[date] = (),
    *,
    subdivision: str | None = None,
) -> frozenset[date]:
    """The public holidays of `country` (ISO 3166-1 alpha-2, "FR") in `years`, plus `extra`.

    `subdivision` adds a region's own holidays where the country has them, e.g.
    "57" (Moselle) for Good Friday and 26 December in Alsace-Moselle. An unknown
    country or subdivision is a ValueError.
    """
    # Imported on first use: the package's tables are megabytes a web process without a
    # country's closed days never needs (bench/README.md, compare_helpdesk's peak memory).
    import holidays

    try:
        public = holidays.country_holidays(country, subdiv=subdivision, years=sorted(set(years)))
    except NotImplementedError as error:  # how the package says "no such country or subdivision"
        raise ValueError(f"No public holidays known for {country!r} (subdivision {subdivision!r}): {error}") from error
    return frozenset(public.keys()) | frozenset(extra)
