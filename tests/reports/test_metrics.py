"""Each figure of the reports on the hand-built week of conftest.py, its answer worked out here."""

from __future__ import annotations

import pytest

from comptoir.reports.models import TicketFacts
from comptoir.reports.selectors import Filters, agents, latest_comments, speed, volume
from comptoir.tickets.merging import tickets_merge
from comptoir.tickets.services import ticket_mark_spam, ticket_update_by_agent
from tests.reports.conftest import NEXT_WEEK, WEEK, Week
from tests.sla.clock import paris

HOUR = 3600


def test_volume_counts_creations_resolutions_reopenings_and_the_backlog_each_evening(week: Week):
    figures = volume(WEEK, Filters())
    by_day = {day.day.isoformat(): day for day in figures.days}
    # Created: T1 and T2 on Monday, T3 on Tuesday, T4 on Friday.
    assert [day.counts["created"] for day in figures.days] == [2, 1, 0, 0, 1, 0, 0]
    # Solved: T1 on Monday; T2 twice on Tuesday (09:00, then 11:00 after its reopening).
    assert by_day["2026-06-08"].counts["solved"] == 1
    assert by_day["2026-06-09"].counts["solved"] == 2
    assert figures.totals["reopened"] == 1
    assert by_day["2026-06-09"].counts["reopened"] == 1
    # Open at the end of each day: T2 on Monday; T3 from Tuesday; T3 and T4 from Friday.
    assert [day.backlog for day in figures.days] == [1, 1, 1, 1, 2, 2, 2]
    assert figures.backlog_before == 0
    assert figures.previous["created"] == 0


def test_the_previous_period_is_the_week_before_and_the_backlog_carries_over(week: Week):
    figures = volume(NEXT_WEEK, Filters())
    assert figures.previous["created"] == 4
    assert figures.previous["solved"] == 3
    # T3 and T4 were still open on Sunday night; T4's reply on Monday leaves it open.
    assert figures.backlog_before == 2
    assert figures.days[-1].backlog == 2


def test_first_reply_median_and_p90_are_interpolated_over_the_tickets_answered_in_the_period(week: Week):
    this_week, previous = speed(WEEK, Filters())
    # T1 answered after 2 h, T2 after 3 h (T4's answer falls next week): median 2.5 h,
    # 90th percentile 2 h + 0.9 * 1 h = 2.9 h.
    assert this_week.first_reply == (pytest.approx(2.5 * HOUR), pytest.approx(2.9 * HOUR))
    # In business hours T2's wait loses the lunch break (12:00-13:00): both waited 2 h.
    assert this_week.first_reply_business == (2 * HOUR, 2 * HOUR)
    assert previous.first_reply == (None, None)


def test_first_reply_across_a_weekend_counts_only_the_office_hours(week: Week):
    next_week, _previous = speed(NEXT_WEEK, Filters())
    # Friday 17:00 to Monday 09:30: 64.5 h on the calendar; 1 h on Friday and 30 min on Monday in office hours.
    assert next_week.first_reply == (64.5 * HOUR, 64.5 * HOUR)
    assert next_week.first_reply_business == (1.5 * HOUR, 1.5 * HOUR)


def test_resolution_one_touch_and_replies_per_ticket_count_the_last_resolution(week: Week):
    this_week, _previous = speed(WEEK, Filters())
    # T1 solved after 2 h; T2's last resolution on Tuesday 11:00, 25 h after it came in.
    # Median (2 + 25) / 2 = 13.5 h; 90th percentile 2 h + 0.9 * 23 h = 22.7 h.
    assert this_week.resolution == (pytest.approx(13.5 * HOUR), pytest.approx(22.7 * HOUR))
    assert this_week.solved == 2
    # T1 took one reply and stayed solved; T2 took two and was reopened.
    assert this_week.one_touch == 1
    assert this_week.one_touch_share == 0.5
    assert this_week.replies_per_ticket == 1.5


def test_satisfaction_counts_the_answer_as_changed_and_each_survey_once(week: Week):
    totals = volume(WEEK, Filters()).totals
    # Three resolutions, three surveys; T1's answered (2 on Monday, changed to 5 on Tuesday): one good answer.
    assert totals["offered"] == 3
    assert totals["answered"] == 1
    assert (totals["rated"], totals["good"]) == (1, 1)
    comments = latest_comments(WEEK, Filters())
    assert [(comment.rating, comment.comment) for comment in comments] == [(5, "Finally sorted, thanks")]


def test_filters_narrow_every_figure(week: Week):
    billing = Filters(group=week.billing.pk)
    # Only T1 is in Billing (moved there when solved: its whole history moved with it).
    assert volume(WEEK, billing).totals["created"] == 1
    this_week, _previous = speed(WEEK, billing)
    assert this_week.first_reply == (2 * HOUR, 2 * HOUR)
    assert volume(WEEK, Filters(language="fr")).totals["created"] == 1
    assert volume(WEEK, Filters(priority="high", type="incident")).totals["solved"] == 1


def test_agents_side_by_side(week: Week):
    [line] = agents(WEEK, Filters())
    assert line.agent_id == week.agent.pk
    # T1 and T2 (twice) solved; first replies 2 h and 3 h; T1's 5; T3 open on them now.
    assert (line.solved, line.rated, line.good, line.open_now) == (3, 1, 1, 1)
    assert line.first_reply_median == pytest.approx(2.5 * HOUR)
    assert line.satisfaction == 1.0


def test_a_merged_ticket_leaves_the_backlog_unsolved_and_the_merge_message_answers_nobody(
    week: Week, make_ticket, fake_now
):
    # T5, Wednesday 09:00: answered at 10:00, merged into T3 (still waiting) at 11:00, telling the requesters.
    fake_now.set(paris(2026, 6, 10, 9))
    duplicate = make_ticket(subject="Plans again")
    fake_now.set(paris(2026, 6, 10, 10))
    ticket_update_by_agent(duplicate, agent=week.agent, body="Which plan?")
    fake_now.set(paris(2026, 6, 10, 11))
    tickets_merge([duplicate], week.waiting, agent=week.agent, tell_requesters=True)

    merged = TicketFacts.objects.get(ticket=duplicate)
    # Its one answer counts; the message saying where it went does not. Closed, never solved.
    assert (merged.first_reply_seconds, merged.replies) == (HOUR, 1)
    assert (merged.solved_at, merged.is_open) == (None, False)
    # T3 got a public message about the merge: not a first reply to its requester.
    assert TicketFacts.objects.get(ticket=week.waiting).first_reply_at is None
    figures = volume(WEEK, Filters())
    by_day = {day.day.isoformat(): day for day in figures.days}
    assert by_day["2026-06-10"].counts["created"] == 1
    assert by_day["2026-06-10"].counts["solved"] == 0
    assert by_day["2026-06-10"].backlog == 1  # T3 only, as on Tuesday evening


def test_a_ticket_marked_as_spam_counts_nowhere(week: Week):
    ticket_mark_spam(week.waiting, agent=week.agent)
    figures = volume(WEEK, Filters())
    # T3 came in on Tuesday: Tuesday now counts none, and the backlog is T2 on Monday, T4 from Friday.
    assert figures.days[1].counts["created"] == 0
    assert [day.backlog for day in figures.days] == [1, 0, 0, 0, 1, 1, 1]
    [line] = agents(WEEK, Filters())
    assert line.open_now == 0
