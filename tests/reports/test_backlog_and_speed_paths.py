"""The page's cheaper paths give the figures the plain ones gave.

- The backlog at a range's start, once all history's rollups added up (entered less left before
  the range), is now the backlog total (BacklogTotal) less what each day from the range's start
  did: the same number, whatever the range, the filters, the moves, spam or a deleted ticket.
- The speed figures, once four queries (three percentiles and the counts), are one
  (comptoir.reports.percentiles.figures): the same numbers as the one-column percentiles.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.reports.models import BacklogTotal, DailyRollup, TicketFacts
from comptoir.reports.percentiles import Series, figures, percentiles
from comptoir.reports.periods import Period
from comptoir.reports.selectors import Filters, _in_range, speed, volume
from comptoir.tickets.merging import tickets_merge
from comptoir.tickets.models import Tag
from comptoir.tickets.services import ticket_delete, ticket_mark_spam, ticket_update_by_agent
from tests.reports.conftest import NEXT_WEEK, WEEK, Week
from tests.sla.clock import paris

PERIODS = [
    WEEK,
    NEXT_WEEK,
    Period(date(2026, 6, 1), date(2026, 6, 7)),  # before anything happened
    Period(date(2026, 6, 9), date(2026, 6, 9)),  # one day, in the middle of the week
    Period(date(2026, 6, 10), date(2026, 6, 30)),  # ends after today (16 June)
    Period(date(2026, 5, 1), date(2026, 7, 31)),  # wider than everything
]


def _all_history_backlog(period: Period, filters: Filters) -> int:
    """The former reading: every rollup row before the range, entered less left."""
    earlier = DailyRollup.objects.filter(filters.rollup_condition(), day__lt=period.first).aggregate(
        entered=Sum("entered"), left=Sum("left")
    )
    return (earlier["entered"] or 0) - (earlier["left"] or 0)


def _every_filter(week: Week) -> list[Filters]:
    tags = list(Tag.objects.values_list("pk", flat=True))
    return [
        Filters(),
        Filters(group=week.billing.pk),
        Filters(assignee=week.agent.pk),
        Filters(assignee=week.agent.pk, priority="high"),
        Filters(language="fr"),
        Filters(channel="web", type="incident"),
        Filters(group=999),  # nobody's
        *(Filters(tag=tag) for tag in tags),
    ]


def _assert_same_backlog(week: Week) -> None:
    for period in PERIODS:
        for filters in _every_filter(week):
            counted = volume(period, filters)
            assert counted.backlog_before == _all_history_backlog(period, filters), (period, filters)
            # And each evening's follows from it as before.
            assert counted.backlog_end == counted.backlog_before + sum(
                day.counts["entered"] - day.counts["left"] for day in counted.days
            )


def test_the_backlog_at_the_start_equals_all_history_added_up(week: Week):
    assert volume(NEXT_WEEK, Filters()).backlog_before == 2  # T3 and T4, as test_metrics worked out
    _assert_same_backlog(week)


def test_the_backlog_at_the_start_stays_equal_after_moves_reopenings_merges_spam_and_a_deletion(
    week: Week, make_ticket, fake_now
):
    admin = User.objects.create_user("boss@example.com", name="Boss", role=Role.ADMIN)
    fake_now.set(paris(2026, 6, 16, 10))
    ticket_update_by_agent(week.reopened, agent=week.agent, group=week.billing, priority="urgent", add_tags=["vip"])
    ticket_update_by_agent(week.waiting, agent=week.agent, add_tags=["vip", "plans"], status="solved", body="Done.")
    duplicate = make_ticket(subject="Password reset again")
    tickets_merge([duplicate], week.weekend, agent=week.agent, tell_requesters=True)
    spam = make_ticket(subject="Cheap watches")
    ticket_mark_spam(spam, agent=week.agent)
    # An open ticket deleted: its past stays in the rollups (until a rebuild), and in the totals alike.
    doomed = make_ticket(subject="Deleted later")
    fake_now.set(paris(2026, 6, 17, 9))
    ticket_delete(doomed, admin=admin)
    assert not TicketFacts.objects.filter(pk=doomed.pk).exists()
    _assert_same_backlog(week)

    # Rebuilt from the events, the deleted ticket is gone from both: still equal.
    call_command("reports_rebuild", stdout=StringIO())
    _assert_same_backlog(week)


def _totals() -> set[tuple[object, ...]]:
    fields = ("group", "assignee", "channel", "type", "priority", "language", "organisation", "tag", "backlog")
    return {row for row in BacklogTotal.objects.values_list(*fields) if row[-1]}


def test_the_backlog_totals_rebuilt_equal_those_kept_live(week: Week, make_ticket):
    ticket_update_by_agent(week.reopened, agent=week.agent, group=week.billing, add_tags=["vip"])
    ticket_update_by_agent(week.reopened, agent=week.agent, body="Again?", status="open")
    ticket_mark_spam(make_ticket(subject="Spam"), agent=week.agent)
    live = _totals()
    assert live  # T2 (open again), T3, T4, each under tag 0 and T2 under its tag too
    assert sum(row[-1] for row in live if row[7] == 0) == 3

    BacklogTotal.objects.all().update(backlog=42)  # damaged: the rebuild starts over
    call_command("reports_rebuild", stdout=StringIO())

    assert _totals() == live


def test_the_rebuild_says_ticket_in_the_singular_for_one(db, make_ticket):
    make_ticket(subject="Alone")
    for language, said in (("en", "events of 1 ticket."), ("fr", "événements de 1 ticket.")):
        output = StringIO()
        with translation.override(language):
            call_command("reports_rebuild", stdout=output)
        assert said in output.getvalue()


# --- Speed in one query ----------------------------------------------------------------------


def test_speed_is_one_query_and_its_figures_are_the_one_column_percentiles(
    week: Week, make_ticket, fake_now, django_assert_num_queries
):
    fake_now.set(paris(2026, 6, 16, 10))
    for number in range(5):
        ticket = make_ticket(subject=f"More {number}")
        fake_now.set(paris(2026, 6, 16, 11 + number))
        ticket_update_by_agent(ticket, agent=week.agent, body="On it.", status="solved" if number % 2 else None)
    for period in (WEEK, NEXT_WEEK, Period(date(2026, 6, 1), date(2026, 6, 30))):
        with django_assert_num_queries(1):
            now, before = speed(period, Filters())
        facts = TicketFacts.objects.all()
        for which, figures_of in ((period, now), (period.previous(), before)):
            replied = facts.filter(_in_range("first_reply_at", which))
            solved = facts.filter(_in_range("solved_at", which))
            assert figures_of.first_reply == percentiles(replied, "first_reply_seconds").get(None, (None, None))
            business = percentiles(replied, "first_reply_business_seconds").get(None, (None, None))
            assert figures_of.first_reply_business == business
            assert figures_of.resolution == percentiles(solved, "resolution_seconds").get(None, (None, None))
            assert figures_of.solved == solved.count()
            assert figures_of.one_touch == solved.filter(one_touch=True).count()
            assert figures_of.replies == (solved.aggregate(n=Sum("replies"))["n"] or 0)


def test_figures_of_several_series_each_with_their_own_columns(make_ticket):
    """Six tickets' facts, values set by hand: group 1 waits 10, 20, 30, 40 s; group 2 100 s and none."""
    for number in range(6):
        make_ticket(subject=f"Ticket {number}")
    rows = list(TicketFacts.objects.order_by("pk"))
    spread = [(1, 40, 1, 3), (1, 10, None, 0), (1, 30, 7, 2), (1, 20, None, 1), (2, 100, None, 5), (2, None, None, 4)]
    for row, (group, seconds, business, replies) in zip(rows, spread, strict=True):
        TicketFacts.objects.filter(pk=row.pk).update(
            group=group, first_reply_seconds=seconds, first_reply_business_seconds=business, replies=replies
        )
    facts = TicketFacts.objects.all()
    waits, replies = figures(
        [
            Series(facts, ("first_reply_seconds", "first_reply_business_seconds")),
            Series(facts.filter(group=1), ("resolution_seconds",), sums=("replies",)),
        ],
        group="group",
    )
    # Group 1: median of 10..40 between 20 and 30; p90 at rank 3.7: 37. Business: 1 and 7, a group of two.
    assert waits[1].percentiles["first_reply_seconds"] == (25, pytest.approx(37))
    assert waits[1].percentiles["first_reply_business_seconds"] == (4, pytest.approx(6.4))
    assert waits[1].count == 4
    # Group 2: one wait; no business wait at all.
    assert waits[2].percentiles == {"first_reply_seconds": (100, 100), "first_reply_business_seconds": (None, None)}
    assert waits[2].count == 2
    # The second series: group 1 only, no resolution yet, its replies added up.
    assert set(replies) == {1}
    assert replies[1].percentiles == {"resolution_seconds": (None, None)}
    assert (replies[1].count, replies[1].sums) == (4, {"replies": 6})
    # Without a group, one key, None; nothing to read, no key.
    [ungrouped] = figures([Series(facts, ("first_reply_seconds",))])
    [(key, whole)] = ungrouped.items()
    assert key is None and whole.percentiles["first_reply_seconds"] == (30, pytest.approx(76))
    assert figures([Series(facts.filter(group=3), ("first_reply_seconds",))]) == [{}]


def test_the_days_after_the_range_are_read_once_not_day_by_day(week: Week):
    # A range that ended long before today reads its days and one sum for the rest: the days are the range's.
    period = Period(WEEK.first - timedelta(days=14), WEEK.first - timedelta(days=8))
    counted = volume(period, Filters())
    assert [day.day for day in counted.days] == period.each_day()
    assert counted.backlog_before == counted.backlog_end == 0
