"""A range's days grouped per day or per week (Monday to Sunday, cut at the range's ends): pure.

The rollups are daily; a quarter read per day is ninety bars, per week thirteen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from comptoir.reports.models import COUNTS
from comptoir.reports.selectors import Day

GROUPINGS = ("day", "week")
DEFAULT_GROUPING = "day"


@dataclass
class Bucket:
    first: date
    last: date
    counts: dict[str, int]
    # Tickets active at the end of its last day.
    backlog: int

    @property
    def score(self) -> float | None:
        """The share of good answers among the ratings given in it."""
        rated = self.counts["rated"]
        return self.counts["good"] / rated if rated else None


def buckets(days: Sequence[Day], grouping: str) -> list[Bucket]:
    """One bucket per day, or per calendar week: a week's counts add up, its backlog is its last evening's."""
    grouped: list[Bucket] = []
    for day in days:
        same_week = grouping == "week" and grouped and grouped[-1].first.isocalendar()[:2] == day.day.isocalendar()[:2]
        if same_week:
            current = grouped[-1]
            current.last, current.backlog = day.day, day.backlog
            for name in COUNTS:
                current.counts[name] += day.counts[name]
        else:
            grouped.append(Bucket(day.day, day.day, dict(day.counts), day.backlog))
    return grouped
