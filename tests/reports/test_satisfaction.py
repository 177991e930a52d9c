"""Satisfaction over the range: its trend, per group and per agent, and the comments with the bad ones first."""

from __future__ import annotations

from comptoir.accounts.models import Role, User
from comptoir.reports.buckets import buckets
from comptoir.reports.charts import share_chart
from comptoir.reports.selectors import Filters, agents, latest_comments, satisfaction_by_group, volume
from comptoir.tickets.models import Status
from comptoir.tickets.services import ticket_update_by_agent
from tests.reports.conftest import WEEK, Week, _answer
from tests.sla.clock import paris


def _rude_ticket(make_ticket, fake_now, agent: User):
    # T5, Wednesday 10 June 09:00, solved by another agent at 10:00, rated 1 at 11:00 with a comment.
    fake_now.set(paris(2026, 6, 10, 9))
    ticket = make_ticket(subject="Refund refused")
    fake_now.set(paris(2026, 6, 10, 10))
    ticket_update_by_agent(ticket, agent=agent, body="No.", assignee=agent, status=Status.SOLVED)
    fake_now.set(paris(2026, 6, 10, 11))
    _answer(ticket, 1, "Rude answer")
    return ticket


def test_the_trend_counts_each_rating_on_the_day_it_was_last_given(week: Week, make_ticket, fake_now):
    other = User.objects.create_user("sam@example.com", name="Sam", role=Role.AGENT)
    _rude_ticket(make_ticket, fake_now, other)
    days = buckets(volume(WEEK, Filters()).days, "day")
    # T1's 2 on Monday was changed to 5 on Tuesday: Monday has no rating left; Wednesday T5's 1.
    assert [day.score for day in days] == [None, 1.0, 0.0, None, None, None, None]
    [whole_week] = buckets(volume(WEEK, Filters()).days, "week")
    assert whole_week.score == 0.5
    chart = share_chart(["d"] * 7, [day.score for day in days])
    # Two dots, Tuesday's at the top of the plot (100 %), Wednesday's on its baseline (0 %).
    assert [y for _x, y in chart.dots] == [10, chart.baseline]
    assert chart.points.count(",") == 2


def test_per_group_and_per_agent(week: Week, make_ticket, fake_now):
    other = User.objects.create_user("sam@example.com", name="Sam", role=Role.AGENT)
    _rude_ticket(make_ticket, fake_now, other)
    by_group = {line.group_id: line for line in satisfaction_by_group(WEEK, Filters())}
    # Billing: T1, one survey, answered 5. No group: T2's two resolutions (two surveys, unanswered) and T5 (rated 1).
    billing, none = by_group[week.billing.pk], by_group[0]
    assert (billing.offered, billing.answered, billing.rated, billing.good) == (1, 1, 1, 1)
    assert (none.offered, none.answered, none.rated, none.good) == (3, 1, 1, 0)
    assert (billing.score, none.score) == (1.0, 0.0)
    assert none.response_rate == 1 / 3
    by_agent = {line.agent_id: line.satisfaction for line in agents(WEEK, Filters())}
    assert by_agent == {week.agent.pk: 1.0, other.pk: 0.0}
    assert satisfaction_by_group(WEEK, Filters(group=week.billing.pk)) == [billing]


def test_the_worst_rated_comments_come_first(week: Week, make_ticket, fake_now):
    _rude_ticket(make_ticket, fake_now, week.agent)
    comments = latest_comments(WEEK, Filters())
    assert [(comment.rating, comment.comment) for comment in comments] == [
        (1, "Rude answer"),
        (5, "Finally sorted, thanks"),
    ]
