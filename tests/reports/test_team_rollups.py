"""The team rollups (per day, group, agent and tag) stay the rollups added up over their other dimensions.

They are written from the same differences as the rollups, live and by the rebuild; the page reads them
when the filters name no more than a group, an agent and a tag, and gives the figures the rollups gave.
"""

from __future__ import annotations

from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from comptoir.accounts.models import Organisation, Role, User
from comptoir.reports import selectors
from comptoir.reports.models import COUNTS, DailyRollup, TeamRollup
from comptoir.reports.selectors import Filters, agents, satisfaction_by_group, volume
from comptoir.tickets.merging import tickets_merge
from comptoir.tickets.models import Tag
from comptoir.tickets.services import ticket_delete, ticket_mark_spam, ticket_update_by_agent
from tests.reports.conftest import WEEK, Week
from tests.reports.test_backlog_and_speed_paths import PERIODS
from tests.sla.clock import paris

TEAM_KEY = ("tag", "day", "group", "assignee")


def _team_rows() -> dict[tuple[object, ...], tuple[int, ...]]:
    # Rows whose counts all went back to zero (every ticket moved away) mean nothing.
    return {
        tuple(row[:4]): tuple(row[4:]) for row in TeamRollup.objects.values_list(*TEAM_KEY, *COUNTS) if any(row[4:])
    }


def _rollups_added_up() -> dict[tuple[object, ...], tuple[int, ...]]:
    sums: dict[tuple[object, ...], list[int]] = defaultdict(lambda: [0] * len(COUNTS))
    for row in DailyRollup.objects.values_list(*TEAM_KEY, *COUNTS):
        added = sums[tuple(row[:4])]
        for index, count in enumerate(row[4:]):
            added[index] += count
    return {key: tuple(counts) for key, counts in sums.items() if any(counts)}


def _a_busy_week(week: Week, make_ticket, fake_now) -> None:
    """Moves between groups, agents, priorities and tags, a reply and a resolution, a merge, spam, a deletion."""
    admin = User.objects.create_user("boss@example.com", name="Boss", role=Role.ADMIN)
    other = User.objects.create_user("second@example.com", name="Sam", role=Role.AGENT)
    fake_now.set(paris(2026, 6, 16, 10))
    ticket_update_by_agent(week.reopened, agent=week.agent, group=week.billing, priority="urgent", add_tags=["vip"])
    ticket_update_by_agent(week.waiting, agent=week.agent, add_tags=["vip", "plans"], status="solved", body="Done.")
    ticket_update_by_agent(week.one_touch, agent=week.agent, assignee=other)
    duplicate = make_ticket(subject="Password reset again")
    tickets_merge([duplicate], week.weekend, agent=week.agent, tell_requesters=True)
    ticket_mark_spam(make_ticket(subject="Cheap watches"), agent=week.agent)
    doomed = make_ticket(subject="Deleted later")
    fake_now.set(paris(2026, 6, 17, 9))
    ticket_delete(doomed, admin=admin)


def test_the_team_rollups_are_the_rollups_added_up_live_and_rebuilt(week: Week, make_ticket, fake_now):
    assert _team_rows() == _rollups_added_up()
    assert sum(counts[0] for key, counts in _team_rows().items() if key[0] == 0) == 4  # created: not empty

    _a_busy_week(week, make_ticket, fake_now)
    live = _team_rows()
    assert live == _rollups_added_up()
    assert any(key[0] != 0 for key in live)  # the tags' rows too

    TeamRollup.objects.all().update(created=99)  # damaged: the rebuild starts over
    call_command("reports_rebuild", stdout=StringIO())
    assert _team_rows() == _rollups_added_up()
    # The rebuild drops the deleted ticket's past from both: the team rows equal the rollups, not the live rows.
    assert (
        sum(counts[0] for key, counts in _team_rows().items() if key[0] == 0)
        == sum(counts[0] for key, counts in live.items() if key[0] == 0) - 1
    )


def _tables_read(section, period, filters: Filters) -> set[str]:
    with CaptureQueriesContext(connection) as captured:
        section(period, filters)
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    return {table for table in ("reports_teamrollup", "reports_dailyrollup") if table in sql}


@pytest.mark.parametrize("section", [volume, agents, satisfaction_by_group])
def test_the_page_reads_the_team_rollups_when_the_filters_name_only_a_group_an_agent_or_a_tag(week: Week, section):
    acme = Organisation.objects.create(name="Acme")
    ticket_update_by_agent(week.reopened, agent=week.agent, add_tags=["vip"])
    vip = Tag.objects.get()
    for filters in (Filters(), Filters(group=week.billing.pk), Filters(assignee=week.agent.pk), Filters(tag=vip.pk)):
        assert _tables_read(section, WEEK, filters) == {"reports_teamrollup"}, filters
    for filters in (
        Filters(priority="high"),
        Filters(group=week.billing.pk, channel="web"),
        Filters(type="incident"),
        Filters(language="fr"),
        Filters(organisation=acme.pk),
    ):
        assert _tables_read(section, WEEK, filters) == {"reports_dailyrollup"}, filters


def test_the_team_rollups_give_the_figures_the_rollups_gave(week: Week, make_ticket, fake_now, monkeypatch):
    _a_busy_week(week, make_ticket, fake_now)
    tags = list(Tag.objects.values_list("pk", flat=True))
    assert tags
    agent_ids = list(User.objects.filter(role=Role.AGENT).values_list("pk", flat=True))
    team_filters = [
        Filters(),
        Filters(group=week.billing.pk),
        *(Filters(assignee=agent_id) for agent_id in agent_ids),
        *(Filters(tag=tag) for tag in tags),
        Filters(group=week.billing.pk, tag=tags[0]),
    ]

    def figures() -> list[object]:
        return [
            (volume(period, filters), agents(period, filters), satisfaction_by_group(period, filters))
            for period in PERIODS
            for filters in team_filters
        ]

    from_team = figures()
    monkeypatch.setattr(selectors, "TeamRollup", DailyRollup)  # every read from the rollups of every dimension
    from_rollups = figures()
    assert from_team == from_rollups
    # The figures are not all empty: the busy week's tickets were counted.
    assert any(counted.totals["created"] for counted, _lines, _groups in from_team)


def test_the_team_rows_are_filled_again_from_the_full_rollups_by_the_command(week: Week, make_ticket, fake_now):
    from comptoir.sla.models import DailyAttainment, TeamAttainment

    _a_busy_week(week, make_ticket, fake_now)
    live = _team_rows()

    def attainment_rows() -> set[tuple[object, ...]]:
        # Rows whose counts all went back to zero mean nothing (the refill writes none).
        rows = TeamAttainment.objects.values_list(
            "tag", "day", "group", "assignee", "policy", "metric", "met", "breached"
        )
        return {row for row in rows if row[-1] or row[-2]}

    attainment_live = attainment_rows()
    assert live and attainment_live and DailyAttainment.objects.exists()
    # What a worker still running the former code leaves: the full rollups moved, the team rows not.
    TeamRollup.objects.all().update(created=99)
    TeamAttainment.objects.all().delete()

    output = StringIO()
    with translation.override("en"):
        call_command("reports_rebuild", "--team", stdout=output)

    assert _team_rows() == live == _rollups_added_up()
    assert attainment_rows() == attainment_live
    assert f"{len(live)} rows of counts" in output.getvalue()
    with translation.override("fr"):
        call_command("reports_rebuild", "--team", stdout=output)
    assert f"{len(live)} lignes de comptes" in output.getvalue()
