"""The filters by agent, tag and organisation, and the grouping per week, on the hand-built week of conftest.py."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from comptoir.accounts.models import Organisation, User
from comptoir.reports.buckets import buckets
from comptoir.reports.models import COUNTS, DailyRollup, TicketFacts
from comptoir.reports.periods import Period
from comptoir.reports.selectors import Day, Filters, agents, speed, volume
from comptoir.tickets.models import Tag
from comptoir.tickets.services import ticket_update_by_agent
from tests.reports.conftest import WEEK, Week
from tests.reports.test_rebuild import _facts, _rollups
from tests.sla.clock import paris

HOUR = 3600


def test_an_agent_filter_keeps_the_tickets_assigned_to_them(week: Week):
    mine = Filters(assignee=week.agent.pk)
    figures = volume(WEEK, mine)
    # T1, T2 and T3 are the agent's; T4 (Friday) was answered but never assigned.
    assert figures.totals["created"] == 3
    assert [day.backlog for day in figures.days] == [1, 1, 1, 1, 1, 1, 1]
    this_week, _previous = speed(WEEK, mine)
    assert this_week.solved == 2
    nobody = User.objects.create_user("idle@example.com", name="Idle", role="agent")
    assert volume(WEEK, Filters(assignee=nobody.pk)).totals["created"] == 0
    assert agents(WEEK, Filters(assignee=nobody.pk)) == []


def test_a_tag_filter_counts_the_tickets_carrying_it_with_their_whole_history(week: Week, fake_now):
    # On Tuesday 16 June T2 is tagged: its Monday creation, two resolutions and reopening count under the tag.
    ticket_update_by_agent(week.reopened, agent=week.agent, add_tags=["refund"])
    refund = Filters(tag=Tag.objects.get(name="refund").pk)
    totals = volume(WEEK, refund).totals
    assert (totals["created"], totals["solved"], totals["reopened"]) == (1, 2, 1)
    this_week, _previous = speed(WEEK, refund)
    # Only T2: answered after 3 h, last solved 25 h after it came in.
    assert this_week.first_reply == (3 * HOUR, 3 * HOUR)
    assert this_week.resolution == (25 * HOUR, 25 * HOUR)
    # Without the filter nothing is counted twice.
    assert volume(WEEK, Filters()).totals["created"] == 4

    ticket_update_by_agent(week.reopened, agent=week.agent, remove_tags=["refund"])
    assert volume(WEEK, refund).totals["created"] == 0
    assert volume(WEEK, Filters()).totals["created"] == 4


def test_an_organisation_filter_keeps_its_members_tickets(week: Week, fake_now, make_ticket):
    acme = Organisation.objects.create(name="Acme")
    User.objects.create_user("bob@acme.example", name="Bob", organisation=acme)
    # T5, Wednesday 10 June 09:00, from Acme's Bob; solved at 10:00 by the agent.
    fake_now.set(paris(2026, 6, 10, 9))
    from_acme = make_ticket(email="bob@acme.example", subject="Acme's invoice")
    fake_now.set(paris(2026, 6, 10, 10))
    ticket_update_by_agent(from_acme, agent=week.agent, body="Sent.", status="solved")
    figures = volume(WEEK, Filters(organisation=acme.pk))
    assert [day.counts["created"] for day in figures.days] == [0, 0, 1, 0, 0, 0, 0]
    assert figures.totals["solved"] == 1
    this_week, _previous = speed(WEEK, Filters(organisation=acme.pk))
    assert this_week.first_reply == (HOUR, HOUR)
    assert volume(WEEK, Filters()).totals["created"] == 5


def test_rebuilt_equals_live_with_tags_and_an_organisation(week: Week, fake_now, make_ticket):
    acme = Organisation.objects.create(name="Acme")
    User.objects.create_user("bob@acme.example", name="Bob", organisation=acme)
    from_acme = make_ticket(email="bob@acme.example", subject="Acme's invoice")
    ticket_update_by_agent(from_acme, agent=week.agent, add_tags=["refund", "vip"], status="solved", body="Done.")
    ticket_update_by_agent(week.one_touch, agent=week.agent, add_tags=["refund"])
    ticket_update_by_agent(week.one_touch, agent=week.agent, remove_tags=["refund"], add_tags=["late"])
    live_rollups, live_facts = _rollups(), _facts()
    tags = {tag.name: tag.pk for tag in Tag.objects.all()}
    assert TicketFacts.objects.get(ticket=from_acme).organisation == acme.pk
    assert sorted(TicketFacts.objects.get(ticket=from_acme).tags) == sorted([tags["refund"], tags["vip"]])
    assert any(row[8] == tags["late"] for row in live_rollups)

    call_command("reports_rebuild", stdout=StringIO())

    assert _rollups() == live_rollups
    assert _facts() == live_facts


def _day(day: date, created: int, backlog: int) -> Day:
    return Day(day, {**dict.fromkeys(COUNTS, 0), "created": created, "rated": created, "good": created // 2}, backlog)


def test_weeks_add_up_their_days_cut_at_the_range_s_ends_and_keep_their_last_evening_s_backlog():
    # Thursday 4 to Wednesday 17 June 2026: Thu-Sun, a whole week, then Mon-Wed.
    days = [_day(date(2026, 6, 4) + timedelta(days=n), created=n, backlog=10 + n) for n in range(14)]
    weeks = buckets(days, "week")
    assert [(week.first, week.last) for week in weeks] == [
        (date(2026, 6, 4), date(2026, 6, 7)),
        (date(2026, 6, 8), date(2026, 6, 14)),
        (date(2026, 6, 15), date(2026, 6, 17)),
    ]
    # 0+1+2+3, 4+...+10, 11+12+13.
    assert [week.counts["created"] for week in weeks] == [6, 49, 36]
    assert [week.backlog for week in weeks] == [13, 20, 23]
    # Ratings 6, good 0+0+1+1 = 2: a third.
    assert weeks[0].score == pytest.approx(2 / 6)
    assert len(buckets(days, "day")) == 14
    assert buckets(days, "day")[3].counts == days[3].counts


def test_a_week_grouping_on_the_hand_built_week(week: Week):
    # Wednesday 3 to Sunday 14 June: nothing in the first (partial) week, the whole week in the second.
    figures = volume(Period(date(2026, 6, 3), WEEK.last), Filters())
    first, second = buckets(figures.days, "week")
    assert (first.counts["created"], first.backlog) == (0, 0)
    assert (second.counts["created"], second.counts["solved"], second.counts["reopened"]) == (4, 3, 1)
    assert second.backlog == 2


def test_a_filter_reads_the_tag_rows_or_every_ticket_s_never_both(week: Week):
    ticket_update_by_agent(week.waiting, agent=week.agent, add_tags=["plans"])
    # T3's Tuesday counts sit in two rows: every ticket's (tag 0) and the tag's.
    assert DailyRollup.objects.filter(day=date(2026, 6, 9), created=1).count() == 2
    assert volume(WEEK, Filters(language="fr")).totals["created"] == 1
