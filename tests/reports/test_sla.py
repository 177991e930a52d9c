"""Service level attainment per policy and metric, and the breaches listed, on the hand-built week of conftest.py.

The week runs under the "Office" policy (Mon-Fri 09:00-12:00, 13:00-18:00; normal priority:
first reply 4 h, next reply 2 h, resolution 16 h; high: 2 h, 1 h, 8 h of office hours).
"""

from __future__ import annotations

from django.utils import translation

from comptoir.reports.selectors import Filters
from comptoir.reports.sla import sla_attainment, sla_breaches
from comptoir.sla.breaches import breaches_raise
from comptoir.tickets.services import ticket_update_by_agent
from tests.reports.conftest import NEXT_WEEK, WEEK, Week
from tests.sla.clock import paris


def _table(period, filters: Filters | None = None) -> dict[str, tuple[int, int]]:
    return {line.metric: (line.met, line.breached) for line in sla_attainment(period, filters or Filters())}


def test_attainment_per_metric_counts_met_when_met_and_breached_when_due(week: Week):
    # The breach job runs on Tuesday 16 June: T3, never answered, missed its first reply
    # (due Tuesday 9 June 14:00: 3 h of the morning and 1 h after lunch) and its resolution
    # (due Wednesday 10 June 18:00). It marks them on the 16th; they count when they were due.
    breaches_raise(now=paris(2026, 6, 16, 9))
    # First reply: T1 in 2 h of its 2 h (high), T2 in 2 office hours of 4: met; T3 breached.
    # Next reply: T2's requester wrote again Tuesday 10:00, answered at 11:00: met.
    # Resolution: T1 in 2 h of 8, T2 first solved Tuesday 09:00 (the clock stops at the first
    # resolution): met; T3 breached. T4's first reply, met on Monday 15 June, is next week's.
    assert _table(WEEK) == {"first_reply": (2, 1), "next_reply": (1, 0), "resolution": (2, 1)}
    [first_reply, next_reply, _resolution] = sla_attainment(WEEK, Filters())
    with translation.override("en"):
        assert (first_reply.policy, first_reply.metric_label) == ("Office", "First reply")
    assert first_reply.share == 2 / 3
    assert next_reply.share == 1.0
    # T4: Friday 17:00 to Monday 09:30 is 1.5 office hours of 4. Its resolution is not due before the 16th, 17:00.
    assert _table(NEXT_WEEK) == {"first_reply": (1, 0)}


def test_a_target_met_late_before_the_job_saw_it_is_a_breach_at_its_due_time(week: Week, make_ticket, fake_now):
    # T5, Wednesday 10 June 09:00, high priority (first reply within 2 office hours, due 11:00),
    # answered at 12:30 with no breach job run in between.
    fake_now.set(paris(2026, 6, 10, 9))
    late = make_ticket(subject="Site down", priority="high")
    fake_now.set(paris(2026, 6, 10, 12, 30))
    ticket_update_by_agent(late, agent=week.agent, body="Back up.")
    # T3's clocks are not marked: still running, they count nowhere.
    assert _table(WEEK) == {"first_reply": (2, 1), "next_reply": (1, 0), "resolution": (2, 0)}
    [breach] = sla_breaches(WEEK, Filters())
    assert (breach.ticket_id, breach.metric) == (late.pk, "first_reply")
    assert breach.due_at == paris(2026, 6, 10, 11)
    assert breach.achieved_at == paris(2026, 6, 10, 12, 30)


def test_breaches_come_latest_first_and_the_filters_narrow_them(week: Week):
    breaches_raise(now=paris(2026, 6, 16, 9))
    breaches = sla_breaches(WEEK, Filters())
    assert [(breach.ticket_id, breach.metric) for breach in breaches] == [
        (week.waiting.pk, "resolution"),
        (week.waiting.pk, "first_reply"),
    ]
    assert breaches[0].achieved_at is None
    # T1 is the only high-priority ticket: met twice, nothing breached.
    high = Filters(priority="high")
    assert _table(WEEK, high) == {"first_reply": (1, 0), "resolution": (1, 0)}
    assert sla_breaches(WEEK, high) == []
    # T3 is the only French one, and the agent's.
    assert _table(WEEK, Filters(language="fr")) == {"first_reply": (0, 1), "resolution": (0, 1)}
    assert _table(WEEK, Filters(assignee=week.agent.pk))["first_reply"] == (2, 1)
    assert _table(WEEK, Filters(group=week.billing.pk)) == {"first_reply": (1, 0), "resolution": (1, 0)}
