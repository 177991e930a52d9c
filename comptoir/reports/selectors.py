"""What the reports page shows, read from the rollups and the per-ticket facts in a fixed number of queries.

Each section is one function returning plain values; the page lays them out, the CSV
writes them. The number of queries does not depend on the number of tickets, days or
agents (tests/reports/test_page.py pins it): volume and satisfaction add up daily
rollups, speed asks the database for percentiles (comptoir.reports.percentiles), the
agents section groups by assignee.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When

from comptoir.accounts.models import User
from comptoir.reports.models import COUNTS, DailyRollup, TicketFacts
from comptoir.reports.percentiles import percentiles
from comptoir.reports.periods import Period
from comptoir.tickets.models import REFERENCE_OFFSET

LATEST_COMMENTS = 10


@dataclass(frozen=True)
class Filters:
    """The dimensions a lead narrows the figures to; empty: all. Same names on the rollups and the facts.

    Ids (group, agent, organisation, tag) are None for "all"; the dimensions' own 0 ("none") is not offered.
    """

    group: int | None = None
    assignee: int | None = None
    organisation: int | None = None
    tag: int | None = None
    channel: str = ""
    type: str = ""
    priority: str = ""
    language: str = ""

    def _columns(self) -> dict[str, object]:
        named = {name: getattr(self, name) for name in ("channel", "type", "priority", "language")}
        ids = {name: getattr(self, name) for name in ("group", "assignee", "organisation")}
        return {
            **{name: value for name, value in named.items() if value},
            **{name: value for name, value in ids.items() if value is not None},
        }

    def condition(self) -> Q:
        """On TicketFacts."""
        condition = Q(**self._columns())
        if self.tag is not None:
            condition &= Q(ticket__tags=self.tag)
        return condition

    def rollup_condition(self) -> Q:
        """On DailyRollup: the tag's rows, or every ticket's (tag 0)."""
        return Q(**self._columns(), tag=self.tag or 0)

    def ticket_condition(self, prefix: str) -> Q:
        """On the Ticket that ``prefix`` leads to ("ticket__"), by its current fields as the facts count them."""
        columns = {f"{prefix}{name}": value for name, value in self._columns().items() if name != "organisation"}
        condition = Q(**columns)
        if self.organisation is not None:
            condition &= Q(**{f"{prefix}requester__organisation": self.organisation})
        if self.tag is not None:
            condition &= Q(**{f"{prefix}tags": self.tag})
        return condition


# --- Volume and satisfaction: the rollups --------------------------------------------------------


@dataclass
class Day:
    day: date
    counts: dict[str, int]
    # Tickets active at the end of the day.
    backlog: int


@dataclass
class Volume:
    days: list[Day]
    totals: dict[str, int]
    previous: dict[str, int]
    backlog_end: int
    backlog_before: int


def volume(period: Period, filters: Filters) -> Volume:
    """Counts per day of the range, their totals and the previous range's, the backlog each evening: 2 queries."""
    before = period.previous()
    rows = (
        DailyRollup.objects.filter(filters.rollup_condition(), day__gte=before.first, day__lte=period.last)
        .values("day")
        .annotate(**{name: Sum(name) for name in COUNTS})
        .order_by("day")
    )
    by_day = {row["day"]: {name: row[name] or 0 for name in COUNTS} for row in rows}
    earlier = DailyRollup.objects.filter(filters.rollup_condition(), day__lt=period.first).aggregate(
        entered=Sum("entered"), left=Sum("left")
    )
    backlog = (earlier["entered"] or 0) - (earlier["left"] or 0)
    start = backlog
    days = []
    zero = dict.fromkeys(COUNTS, 0)
    for day in period.each_day():
        counts = by_day.get(day, zero)
        backlog += counts["entered"] - counts["left"]
        days.append(Day(day, counts, backlog))
    previous = _sum(counts for day, counts in by_day.items() if day < period.first)
    return Volume(days, _sum(day.counts for day in days), previous, backlog, start)


def _sum(rows: Any) -> dict[str, int]:
    totals = dict.fromkeys(COUNTS, 0)
    for counts in rows:
        for name in COUNTS:
            totals[name] += counts[name]
    return totals


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Comment:
    ticket_id: int
    subject: str
    rating: int
    comment: str
    rated_at: Any

    @property
    def reference(self) -> int:
        return self.ticket_id + REFERENCE_OFFSET


def latest_comments(period: Period, filters: Filters) -> list[Comment]:
    """The comments left with ratings in the range, the bad ones first, then the latest: 1 query."""
    rows = (
        TicketFacts.objects.filter(
            filters.condition(), rated_at__gte=period.starts_at(), rated_at__lt=period.ends_before()
        )
        .exclude(comment="")
        .order_by("rating", "-rated_at")
        .values_list("ticket_id", "ticket__subject", "rating", "comment", "rated_at")[:LATEST_COMMENTS]
    )
    return [
        Comment(ticket_id=ticket_id, subject=subject, rating=rating or 0, comment=comment, rated_at=rated_at)
        for ticket_id, subject, rating, comment, rated_at in rows
    ]


# --- Speed: percentiles over the facts ---------------------------------------------------------


@dataclass
class Speed:
    """One range's figures; durations in seconds, None when no ticket gives one."""

    first_reply: tuple[float | None, float | None] = (None, None)
    first_reply_business: tuple[float | None, float | None] = (None, None)
    resolution: tuple[float | None, float | None] = (None, None)
    solved: int = 0
    one_touch: int = 0
    replies: int = 0

    @property
    def one_touch_share(self) -> float | None:
        return share(self.one_touch, self.solved)

    @property
    def replies_per_ticket(self) -> float | None:
        return self.replies / self.solved if self.solved else None


CURRENT, PREVIOUS = 1, 0


def _in_either(rows: QuerySet[TicketFacts], column: str, period: Period) -> QuerySet[TicketFacts]:
    """The facts whose ``column`` falls in the range or the one before, marked with which (``report_period``)."""
    before = period.previous()
    return rows.filter(**{f"{column}__gte": before.starts_at(), f"{column}__lt": period.ends_before()}).annotate(
        report_period=Case(
            When(**{f"{column}__gte": period.starts_at()}, then=Value(CURRENT)),
            default=Value(PREVIOUS),
            output_field=IntegerField(),
        )
    )


def speed(period: Period, filters: Filters) -> tuple[Speed, Speed]:
    """The range's speed and the previous range's: 4 queries.

    First replies count in the range they were written in; resolutions, one-touch and
    replies per ticket in the range of the (last) resolution.
    """
    facts = TicketFacts.objects.filter(filters.condition())
    replied = _in_either(facts, "first_reply_at", period)
    solved = _in_either(facts, "solved_at", period)
    first = percentiles(replied, "first_reply_seconds", group="report_period")
    business = percentiles(replied, "first_reply_business_seconds", group="report_period")
    resolution = percentiles(solved, "resolution_seconds", group="report_period")
    # report_period is _in_either's annotation, which the type stubs cannot follow through a function.
    counts = solved.values("report_period").annotate(  # type: ignore[misc]
        solved=Count("pk"), one_touch=Count("pk", filter=Q(one_touch=True)), replies=Sum("replies")
    )
    by_period = {row["report_period"]: row for row in counts.order_by()}
    figures = []
    for which in (CURRENT, PREVIOUS):
        row: Mapping[str, Any] = by_period.get(which, {})
        figures.append(
            Speed(
                first_reply=_pair(first.get(which)),
                first_reply_business=_pair(business.get(which)),
                resolution=_pair(resolution.get(which)),
                solved=row.get("solved", 0),
                one_touch=row.get("one_touch", 0),
                replies=row.get("replies") or 0,
            )
        )
    return figures[0], figures[1]


def _pair(values: tuple[float | None, ...] | None) -> tuple[float | None, float | None]:
    return (values[0], values[1]) if values else (None, None)


# --- Agents, side by side ----------------------------------------------------------------------


@dataclass
class AgentLine:
    agent_id: int
    name: str
    email: str
    solved: int = 0
    first_reply_median: float | None = None
    rated: int = 0
    good: int = 0
    open_now: int = 0

    @property
    def satisfaction(self) -> float | None:
        return share(self.good, self.rated)


def agents(period: Period, filters: Filters) -> list[AgentLine]:
    """Each agent's resolutions, first reply median and satisfaction in the range, and open tickets now: 4 queries."""
    counted = (
        DailyRollup.objects.filter(
            filters.rollup_condition(), assignee__gt=0, day__gte=period.first, day__lte=period.last
        )
        .values("assignee")
        .annotate(solved=Sum("solved"), rated=Sum("rated"), good=Sum("good"))
        .order_by()
    )
    facts = TicketFacts.objects.filter(filters.condition(), assignee__gt=0)
    medians = percentiles(
        facts.filter(first_reply_at__gte=period.starts_at(), first_reply_at__lt=period.ends_before()),
        "first_reply_seconds",
        group="assignee",
        wanted=(0.5,),
    )
    load = dict(facts.filter(is_open=True).values("assignee").annotate(n=Count("pk")).values_list("assignee", "n"))
    lines: dict[int, AgentLine] = {}
    ids = {row["assignee"] for row in counted} | set(medians) | set(load)
    for person in User.objects.filter(pk__in=ids).only("pk", "name", "email", "is_active").order_by("name", "email"):
        lines[person.pk] = AgentLine(person.pk, person.get_full_name(), person.email)
    for row in counted:
        line = lines.get(row["assignee"])
        if line is not None:
            line.solved, line.rated, line.good = row["solved"] or 0, row["rated"] or 0, row["good"] or 0
    for agent_id, (median,) in medians.items():
        if agent_id in lines:
            lines[agent_id].first_reply_median = median
    for agent_id, count in load.items():
        if agent_id in lines:
            lines[agent_id].open_now = count
    return list(lines.values())


# --- Satisfaction per group --------------------------------------------------------------------


@dataclass
class GroupSatisfaction:
    group_id: int  # 0: tickets in no group
    offered: int = 0
    answered: int = 0
    rated: int = 0
    good: int = 0

    @property
    def score(self) -> float | None:
        return share(self.good, self.rated)

    @property
    def response_rate(self) -> float | None:
        return share(self.answered, self.offered)


def satisfaction_by_group(period: Period, filters: Filters) -> list[GroupSatisfaction]:
    """Surveys sent, answered, ratings and good ones per group in the range, groups with a survey only: 1 query."""
    rows = (
        DailyRollup.objects.filter(filters.rollup_condition(), day__gte=period.first, day__lte=period.last)
        .values("group")
        .annotate(offered=Sum("offered"), answered=Sum("answered"), rated=Sum("rated"), good=Sum("good"))
        .filter(Q(offered__gt=0) | Q(rated__gt=0))
        .order_by("group")
    )
    return [
        GroupSatisfaction(row["group"], row["offered"] or 0, row["answered"] or 0, row["rated"] or 0, row["good"] or 0)
        for row in rows
    ]
