"""Service level attainment over a range, read from the SLA clocks (comptoir.sla.models.TicketSla).

A clock counts in the range its outcome fell in:
- met: achieved at or before its due time, counted when achieved;
- breached: marked breached by the breach job, or achieved after its due time (before
  the job saw it, or after), counted at its due time, when the target was missed (the
  job marks it within a minute; a run that lagged does not move the figure).
Clocks still waiting, and clocks stopped without being met (the ticket closed, merged,
or left every policy), count nowhere. Next reply has one clock per requester reply
that waited for an answer: each is one met or breached target.

The filters apply to the tickets as they are now, as the other figures count them.

The attainment adds up daily rollups (comptoir.sla.models.DailyAttainment, or TeamAttainment when
the filters name no more than a group, an agent and a tag; kept by the clocks' writers,
comptoir.sla.attainment); with a ticket field filter, which the rollups do not hold, it counts the
range's clocks (``attainment_from_clocks``, the same figures by construction:
tests/reports/test_attainment_rollups.py holds the two equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, Count, F, Q, QuerySet, Sum, When

from comptoir.reports.periods import Period
from comptoir.reports.selectors import Filters, share
from comptoir.sla.models import DailyAttainment, Metric, TeamAttainment, TicketSla
from comptoir.tickets.models import REFERENCE_OFFSET

LATEST_BREACHES = 20
MET = Q(achieved_at__isnull=False, achieved_at__lte=F("due_at"), breached_at__isnull=True)
BREACHED = Q(breached_at__isnull=False) | Q(achieved_at__gt=F("due_at"))


@dataclass
class Attainment:
    policy_id: int
    policy: str
    metric: str
    met: int
    breached: int

    @property
    def share(self) -> float | None:
        return share(self.met, self.met + self.breached)

    @property
    def metric_label(self) -> str:
        return str(Metric(self.metric).label)


@dataclass
class Breach:
    ticket_id: int
    subject: str
    policy: str
    metric: str
    due_at: datetime
    decided_at: datetime
    # None while the ticket still waits for it.
    achieved_at: datetime | None

    @property
    def reference(self) -> int:
        return self.ticket_id + REFERENCE_OFFSET

    @property
    def metric_label(self) -> str:
        return str(Metric(self.metric).label)


def _decided(period: Period, filters: Filters) -> QuerySet[TicketSla]:
    """The clocks whose outcome fell in the range, on the filtered tickets, with when (``decided_at``)."""
    starts, ends = period.starts_at(), period.ends_before()
    return (
        TicketSla.objects.filter(filters.ticket_condition("ticket__"))
        .filter(
            (MET & Q(achieved_at__gte=starts, achieved_at__lt=ends))
            | (BREACHED & Q(due_at__gte=starts, due_at__lt=ends))
        )
        .annotate(decided_at=Case(When(MET, then=F("achieved_at")), default=F("due_at")))
    )


def sla_attainment(period: Period, filters: Filters) -> list[Attainment]:
    """Met and breached targets per policy and metric in the range: 1 query."""
    if filters.by_field:
        return attainment_from_clocks(period, filters)
    # Per day, group, agent and tag when the filters name nothing else: a few dozen rows a day, not a thousand.
    model: type[DailyAttainment | TeamAttainment] = TeamAttainment if filters.on_team_rows else DailyAttainment
    rows = (
        model.objects.filter(filters.rollup_condition(), day__gte=period.first, day__lte=period.last)
        .values("policy_id", "policy__name", "metric")
        .annotate(met_count=Sum("met"), breached_count=Sum("breached"))
        # A combination whose clocks all moved elsewhere keeps its rows, at 0.
        .filter(Q(met_count__gt=0) | Q(breached_count__gt=0))
        .order_by()
    )
    return _lines(rows)


def attainment_from_clocks(period: Period, filters: Filters) -> list[Attainment]:
    """The same figures counted from the range's clocks, on the filtered tickets: 1 query."""
    rows = (
        _decided(period, filters)
        .values("policy_id", "policy__name", "metric")
        .annotate(met_count=Count("pk", filter=MET), breached_count=Count("pk", filter=BREACHED))
        .order_by()
    )
    return _lines(rows)


def _lines(rows: Any) -> list[Attainment]:
    order = {metric: number for number, metric in enumerate(Metric.values)}
    lines = [
        Attainment(row["policy_id"], row["policy__name"], row["metric"], row["met_count"], row["breached_count"])
        for row in rows
    ]
    return sorted(lines, key=lambda line: (line.policy.lower(), line.policy_id, order.get(line.metric, 99)))


def sla_breaches(period: Period, filters: Filters, *, limit: int = LATEST_BREACHES) -> list[Breach]:
    """The latest breaches of the range, with their ticket: 1 query."""
    # A breach is decided when it was due: the latest ones are a backward walk of the index of missed
    # targets by due time (sla_missed_by_due), stopped after ``limit``, not a sort of the range's clocks.
    fields = ("ticket_id", "ticket__subject", "policy__name", "metric", "due_at", "due_at", "achieved_at")
    rows = (
        TicketSla.objects.filter(filters.ticket_condition("ticket__"))
        .filter(BREACHED, due_at__gte=period.starts_at(), due_at__lt=period.ends_before())
        .order_by("-due_at", "-pk")
        .values_list(*fields)[:limit]
    )
    return [Breach(*row) for row in rows]
