"""What the reports page shows, read from the rollups and the per-ticket facts in a fixed number of queries.

Each section is one function returning plain values; the page lays them out, the CSV
writes them. The number of queries does not depend on the number of tickets, days or
agents (tests/reports/test_page.py pins it): volume and satisfaction add up daily
rollups, speed asks the database for percentiles (comptoir.reports.percentiles), the
agents section groups by assignee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, Count, DateField, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, TruncDate

from comptoir.accounts.models import User
from comptoir.reports.facts import GOOD_RATINGS, team_zone
from comptoir.reports.models import COUNTS, BacklogTotal, DailyRollup, TeamRollup, TicketFacts
from comptoir.reports.percentiles import Series, figures, percentiles
from comptoir.reports.periods import Period
from comptoir.ticketforms.models import FieldValue
from comptoir.ticketforms.validation import CHECKED, UNCHECKED
from comptoir.tickets.dimensions import TEAM_DIMENSIONS
from comptoir.tickets.models import ACTIVE, REFERENCE_OFFSET, EventKind, Status, TicketEvent

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
    # A drop-down's or checkbox's value (the field's id, and the value as search compares it: a choice's
    # value in lower case, "yes" or "no"). The rollups do not hold it (a dimension per field would
    # multiply their rows): with it, every figure is counted from the tickets' own rows in the database.
    field: int | None = None
    field_value: str = ""

    @property
    def by_field(self) -> bool:
        return self.field is not None and bool(self.field_value)

    def _field_tickets(self) -> Q:
        """On a ticket id column named ``ticket_id``: the tickets holding the field's value."""
        held = FieldValue.objects.filter(field_id=self.field)
        if self.field_value == UNCHECKED:
            # An unticked checkbox holds no row, or a "no" one.
            return ~Q(ticket_id__in=held.filter(text=CHECKED).values("ticket_id"))
        return Q(ticket_id__in=held.filter(text=self.field_value).values("ticket_id"))

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
        if self.by_field:
            condition &= self._field_tickets()
        return condition

    def rollup_condition(self) -> Q:
        """On DailyRollup (and TeamRollup, BacklogTotal): the tag's rows, or every ticket's (tag 0)."""
        return Q(**self._columns(), tag=self.tag or 0)

    @property
    def on_team_rows(self) -> bool:
        """Whether the team rollups (per day, group, agent and tag) hold these filters' figures."""
        return set(self._columns()) <= set(TEAM_DIMENSIONS)

    def rollups(self) -> QuerySet[Any]:
        """The daily rows these filters add up: the team rollups when they name no more than a group, an
        agent and a tag (fifty rows a day, not a thousand), else the rollups of every dimension."""
        model: type[DailyRollup | TeamRollup] = TeamRollup if self.on_team_rows else DailyRollup
        return model.objects.filter(self.rollup_condition())

    def ticket_condition(self, prefix: str) -> Q:
        """On the Ticket that ``prefix`` leads to ("ticket__"), by its current fields as the facts count them."""
        columns = {f"{prefix}{name}": value for name, value in self._columns().items() if name != "organisation"}
        condition = Q(**columns)
        if self.organisation is not None:
            condition &= Q(**{f"{prefix}requester__organisation": self.organisation})
        if self.tag is not None:
            condition &= Q(**{f"{prefix}tags": self.tag})
        if self.by_field:
            # ``prefix`` is "ticket__" on the models that reach a ticket, whose column is ticket_id.
            condition &= self._field_tickets()
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
    """Counts per day of the range, their totals and the previous range's, the backlog each evening.

    2 queries from the rollups; 3 with a field filter, from the tickets' events and facts (field_volume).
    """
    before = period.previous()
    by_day: dict[date, dict[str, int]]
    if filters.by_field:
        by_day, earlier = field_volume(period, filters)
        start = (earlier["entered"] or 0) - (earlier["left"] or 0)
    else:
        # The days after the range (when it ended before today) are added up into one row, day NULL:
        # the backlog at the range's start is the backlog now less what every day from the start did.
        after = Q(day__gt=period.last)
        rows = (
            filters.rollups()
            .filter(day__gte=before.first)
            .annotate(report_day=Case(When(after, then=Value(None)), default=F("day"), output_field=DateField()))
            .values("report_day")
            .annotate(**{name: Sum(name) for name in COUNTS})
            .order_by()
        )
        by_day = {}
        since = 0
        for row in rows:
            counts = {name: row[name] or 0 for name in COUNTS}
            if row["report_day"] is None or row["report_day"] >= period.first:
                since += counts["entered"] - counts["left"]
            if row["report_day"] is not None:
                by_day[row["report_day"]] = counts
        now = BacklogTotal.objects.filter(filters.rollup_condition()).aggregate(backlog=Sum("backlog"))
        start = (now["backlog"] or 0) - since
    backlog = start
    days = []
    zero = dict.fromkeys(COUNTS, 0)
    for day in period.each_day():
        counts = by_day.get(day, zero)
        backlog += counts["entered"] - counts["left"]
        days.append(Day(day, counts, backlog))
    previous = _sum(counts for day, counts in by_day.items() if day < period.first)
    return Volume(days, _sum(day.counts for day in days), previous, backlog, start)


_ACTIVE = list(ACTIVE)
_CREATED = Q(kind=EventKind.CREATED)
_SOLVED = Q(kind=EventKind.STATUS, new_value=Status.SOLVED)
_ENTERED = _CREATED | Q(kind=EventKind.STATUS, new_value__in=_ACTIVE) & ~Q(old_value__in=_ACTIVE)
_LEFT = Q(kind=EventKind.STATUS, old_value__in=_ACTIVE) & ~Q(new_value__in=_ACTIVE)


def field_volume(period: Period, filters: Filters) -> tuple[dict[date, dict[str, int]], dict[str, int | None]]:
    """The daily counts of the tickets holding a field's value, from their events and facts: 3 queries.

    The same counting rules as the rollups (comptoir.reports.facts), read set-based: moves into and out
    of the active statuses from each status change's old and new values; spam counts nowhere. Surveys:
    a rated ticket counts once, on the day of its latest answer ("answered" is then the ratings).
    """
    before = period.previous()
    zone = team_zone()
    spam = TicketEvent.objects.filter(kind=EventKind.SPAM).values("ticket_id")
    events = TicketEvent.objects.filter(
        filters.ticket_condition("ticket__"), kind__in=(EventKind.CREATED, EventKind.STATUS)
    ).exclude(ticket_id__in=spam)
    rows = (
        events.filter(created_at__gte=before.starts_at(), created_at__lt=period.ends_before())
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(
            created=Count("pk", filter=_CREATED),
            solved=Count("pk", filter=_SOLVED),
            reopened=Count("pk", filter=Q(kind=EventKind.STATUS, old_value=Status.SOLVED, new_value__in=_ACTIVE)),
            entered=Count("pk", filter=_ENTERED),
            left=Count("pk", filter=_LEFT),
        )
        .order_by("day")
    )
    by_day: dict[date, dict[str, int]] = {}
    for row in rows:
        counts = dict.fromkeys(COUNTS, 0)
        counts.update({name: row[name] for name in ("created", "solved", "reopened", "entered", "left")})
        counts["offered"] = counts["solved"]
        by_day[row["day"]] = counts
    ratings = (
        TicketFacts.objects.filter(
            filters.condition(), rated_at__gte=before.starts_at(), rated_at__lt=period.ends_before()
        )
        .annotate(day=TruncDate("rated_at", tzinfo=zone))
        .values("day")
        .annotate(rated=Count("pk"), good=Count("pk", filter=Q(rating__in=GOOD_RATINGS)))
        .order_by("day")
    )
    for row in ratings:
        counts = by_day.setdefault(row["day"], dict.fromkeys(COUNTS, 0))
        counts["answered"] = counts["rated"] = row["rated"]
        counts["good"] = row["good"]
    earlier = events.filter(created_at__lt=period.starts_at()).aggregate(
        entered=Count("pk", filter=_ENTERED), left=Count("pk", filter=_LEFT)
    )
    return by_day, earlier


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


def speed(period: Period, filters: Filters) -> tuple[Speed, Speed]:
    """The range's speed and the previous range's: 1 query.

    First replies count in the range they were written in; resolutions, one-touch and
    replies per ticket in the range of the (last) resolution. Each range's first replies and
    resolutions are read once, as four ungrouped aggregates of one statement
    (comptoir.reports.percentiles.figures): each an index range, no sort of the rows by range.
    """
    facts = TicketFacts.objects.filter(filters.condition())
    series = []
    for which in (period, period.previous()):
        series.append(Series(facts.filter(_in_range("first_reply_at", which)), _WAITS))
        solved = facts.filter(_in_range("solved_at", which)).annotate(
            one_touch_count=Cast("one_touch", output_field=IntegerField())
        )
        series.append(Series(solved, ("resolution_seconds",), sums=("one_touch_count", "replies")))
    answers = figures(series)
    speeds = []
    for replied_answer, solved_answer in (answers[0:2], answers[2:4]):
        replies, resolutions = replied_answer.get(None), solved_answer.get(None)
        speeds.append(
            Speed(
                first_reply=_pair(replies.percentiles["first_reply_seconds"] if replies else None),
                first_reply_business=_pair(replies.percentiles["first_reply_business_seconds"] if replies else None),
                resolution=_pair(resolutions.percentiles["resolution_seconds"] if resolutions else None),
                solved=resolutions.count if resolutions else 0,
                one_touch=resolutions.sums["one_touch_count"] if resolutions else 0,
                replies=resolutions.sums["replies"] if resolutions else 0,
            )
        )
    return speeds[0], speeds[1]


_WAITS = ("first_reply_seconds", "first_reply_business_seconds")


def _in_range(column: str, period: Period) -> Q:
    return Q(**{f"{column}__gte": period.starts_at(), f"{column}__lt": period.ends_before()})


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
    facts = TicketFacts.objects.filter(filters.condition(), assignee__gt=0)
    counted: Any
    if filters.by_field:
        # From the facts: a ticket's last resolution and latest rating in the range.
        solved, rated = _in_range("solved_at", period), _in_range("rated_at", period)
        counted = (
            facts.filter(solved | rated)
            .values("assignee")
            .annotate(
                solved=Count("pk", filter=solved),
                rated=Count("pk", filter=rated),
                good=Count("pk", filter=rated & Q(rating__in=GOOD_RATINGS)),
            )
            .order_by()
        )
    else:
        counted = (
            filters.rollups()
            .filter(assignee__gt=0, day__gte=period.first, day__lte=period.last)
            .values("assignee")
            .annotate(solved=Sum("solved"), rated=Sum("rated"), good=Sum("good"))
            .order_by()
        )
    medians = percentiles(
        facts.filter(first_reply_at__gte=period.starts_at(), first_reply_at__lt=period.ends_before()),
        "first_reply_seconds",
        group="assignee",
        wanted=(0.5,),
    )
    # COUNT(*), not of the key: the partial index of open facts answers alone (an index-only scan).
    load = dict(facts.filter(is_open=True).values("assignee").annotate(n=Count("*")).values_list("assignee", "n"))
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
    rows: Any
    if filters.by_field:
        # From the facts, as field_volume counts them: a ticket's last resolution and latest rating.
        solved, rated = _in_range("solved_at", period), _in_range("rated_at", period)
        rows = (
            TicketFacts.objects.filter(filters.condition())
            .filter(solved | rated)
            .values("group")
            .annotate(
                offered=Count("pk", filter=solved),
                answered=Count("pk", filter=rated),
                rated=Count("pk", filter=rated),
                good=Count("pk", filter=rated & Q(rating__in=GOOD_RATINGS)),
            )
            .order_by("group")
        )
    else:
        rows = (
            filters.rollups()
            .filter(day__gte=period.first, day__lte=period.last)
            .values("group")
            .annotate(offered=Sum("offered"), answered=Sum("answered"), rated=Sum("rated"), good=Sum("good"))
            .filter(Q(offered__gt=0) | Q(rated__gt=0))
            .order_by("group")
        )
    return [
        GroupSatisfaction(row["group"], row["offered"] or 0, row["answered"] or 0, row["rated"] or 0, row["good"] or 0)
        for row in rows
    ]
