"""The daily service level attainment (comptoir.sla.attainment) equals a count of the clocks, whatever moves them.

After each step of the hand-built week's life (a breach by the job, a target achieved after its
breach, a policy re-targeting, moves of group, assignee, tags and requester, a merge, a deletion,
a rebuild), the rollup rows equal the rows worked out here from every TicketSla and its ticket as
it is now, and the page's attainment read from them equals the one counted from the clocks.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from io import StringIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command

from comptoir.accounts.models import Organisation, Role, User
from comptoir.reports.periods import Period
from comptoir.reports.selectors import Filters
from comptoir.reports.sla import attainment_from_clocks, sla_attainment
from comptoir.sla.attainment import attainment_recount
from comptoir.sla.breaches import breaches_raise
from comptoir.sla.models import AttainmentCounted, DailyAttainment, Metric, SlaTarget, TeamAttainment, TicketSla
from comptoir.sla.tasks import sla_clocks_rebuild
from comptoir.tickets.dimensions import DIMENSIONS, dimensions_of
from comptoir.tickets.merging import tickets_merge
from comptoir.tickets.models import Priority, SupportGroup, Tag, Ticket
from comptoir.tickets.services import ticket_change_requester, ticket_delete, ticket_update_by_agent
from tests.reports.conftest import NEXT_WEEK, WEEK, Week
from tests.sla.clock import paris

KEY = ("day", *DIMENSIONS, "tag", "policy_id", "metric")
TEAM_KEY = ("tag", "day", "group", "assignee", "policy_id", "metric")
JUNE = Period(date(2026, 6, 1), date(2026, 6, 30))


def _from_clocks() -> dict[tuple[object, ...], tuple[int, int]]:
    """What the rollups should hold, worked out from every clock and its ticket now."""
    zone = ZoneInfo(settings.TIME_ZONE)
    rows: dict[tuple[object, ...], list[int]] = defaultdict(lambda: [0, 0])
    for clock in TicketSla.objects.select_related("ticket__requester"):
        if clock.breached_at is not None or (clock.achieved_at is not None and clock.achieved_at > clock.due_at):
            which, at = 1, clock.due_at
        elif clock.achieved_at is not None:
            which, at = 0, clock.achieved_at
        else:
            continue
        ticket = clock.ticket
        dimensions = tuple(dimensions_of(ticket)[name] for name in DIMENSIONS)
        for tag in (0, *ticket.tags.values_list("pk", flat=True)):
            rows[(at.astimezone(zone).date(), *dimensions, tag, clock.policy_id, clock.metric)][which] += 1
    return {key: (met, breached) for key, (met, breached) in rows.items()}


def _rollups() -> dict[tuple[object, ...], tuple[int, int]]:
    # Rows whose counts went back to zero (their clocks moved to other dimensions) mean nothing.
    rows = DailyAttainment.objects.values_list(*KEY, "met", "breached")
    return {row[: len(KEY)]: (row[-2], row[-1]) for row in rows if row[-2] or row[-1]}


def _team_rows() -> dict[tuple[object, ...], tuple[int, int]]:
    rows = TeamAttainment.objects.values_list(*TEAM_KEY, "met", "breached")
    return {row[: len(TEAM_KEY)]: (row[-2], row[-1]) for row in rows if row[-2] or row[-1]}


def _rollups_added_up() -> dict[tuple[object, ...], tuple[int, int]]:
    """The daily attainment per day, group, agent, tag, policy and metric: what TeamAttainment must hold."""
    sums: dict[tuple[object, ...], list[int]] = defaultdict(lambda: [0, 0])
    for row in DailyAttainment.objects.values_list(*TEAM_KEY, "met", "breached"):
        added = sums[row[: len(TEAM_KEY)]]
        added[0] += row[-2]
        added[1] += row[-1]
    return {key: (met, breached) for key, (met, breached) in sums.items() if met or breached}


def _table(lines) -> list[tuple[int, str, int, int]]:
    return [(line.policy_id, line.metric, line.met, line.breached) for line in lines]


def _assert_equal(week: Week, *extra: Filters) -> dict[tuple[object, ...], tuple[int, int]]:
    expected = _from_clocks()
    assert _rollups() == expected
    # The team rows (read when the filters name no more than a group, an agent and a tag) are their sums.
    assert _team_rows() == _rollups_added_up()
    filters = [
        Filters(),
        Filters(group=week.billing.pk),
        Filters(assignee=week.agent.pk),
        Filters(priority=Priority.HIGH),
        Filters(language="fr"),
        *extra,
    ]
    for period in (WEEK, NEXT_WEEK, JUNE):
        for narrowed in filters:
            assert _table(sla_attainment(period, narrowed)) == _table(attainment_from_clocks(period, narrowed))
    return expected


def test_the_rollups_follow_every_move_of_the_clocks_and_the_tickets(week: Week, fake_now, make_ticket):
    lead = User.objects.create_user("lead@example.com", name="Lea", role=Role.ADMIN)
    second = User.objects.create_user("second@example.com", name="Sam", role=Role.AGENT)
    support = SupportGroup.objects.create(name="Support")
    # The targets met are counted (T1's first reply and resolution, T2's first reply, next reply and
    # resolution, T4's first reply); T3's, still waiting, are not.
    counted = _assert_equal(week)
    assert sum(met for met, _breached in counted.values()) == 6
    assert sum(breached for _met, breached in counted.values()) == 0

    # The breach job marks T3's first reply and resolution breached: counted on the days they were due.
    breaches_raise(now=paris(2026, 6, 16, 9))
    counted = _assert_equal(week)
    assert sum(breached for _met, breached in counted.values()) == 2

    # T3 answered after its breach: still breached, on the day it was due; nothing moves.
    ticket_update_by_agent(week.waiting, agent=week.agent, body="Sorry for the wait.")
    assert _assert_equal(week) == counted

    # T5, Tuesday 16 June 09:00, breached by the job at 15:00 (first reply due 14:00)...
    late = make_ticket(subject="Nobody answers")
    breaches_raise(now=paris(2026, 6, 16, 15))
    before_retarget = _assert_equal(week)
    assert sum(breached for _met, breached in before_retarget.values()) == 3
    # ... then the policy gives normal tickets 20 office hours: re-targeted by the job a policy edit queues,
    # its breach moves to the new due day, Thursday 18 June (no event: the reports' subscriber never hears of it).
    SlaTarget.objects.filter(metric=Metric.FIRST_REPLY, priority=Priority.NORMAL).update(minutes=20 * 60)
    sla_clocks_rebuild()
    clock = TicketSla.objects.get(ticket=late, metric=Metric.FIRST_REPLY)
    assert clock.due_at == paris(2026, 6, 18, 14)
    assert clock.breached_at is not None
    after_retarget = _assert_equal(week)
    assert after_retarget != before_retarget
    assert any(key[0] == date(2026, 6, 18) for key in after_retarget)

    # Moves: T1 to another group, T2 to another agent (no clock moves: the SLA subscriber recounts only),
    # T3 tagged then untagged, T4 given to a requester of an organisation.
    ticket_update_by_agent(week.one_touch, agent=week.agent, group=support)
    ticket_update_by_agent(week.reopened, agent=week.agent, assignee=second)
    ticket_update_by_agent(week.waiting, agent=week.agent, add_tags=["vip", "billing"])
    vip = Tag.objects.get(name="vip")
    _assert_equal(week, Filters(group=support.pk), Filters(assignee=second.pk), Filters(tag=vip.pk))
    acme = Organisation.objects.create(name="Acme")
    User.objects.create_user("boss@acme.example", name="Boss", organisation=acme)
    ticket_change_requester(week.weekend, email="boss@acme.example", name="Boss", actor=week.agent)
    _assert_equal(week, Filters(organisation=acme.pk), Filters(tag=vip.pk))
    ticket_update_by_agent(week.waiting, agent=week.agent, remove_tags=["vip"])
    _assert_equal(week, Filters(tag=vip.pk))

    # A ticket answered in time, then merged into T4: its met first reply stays counted, under its own dimensions.
    duplicate = make_ticket(subject="Password reset again")
    ticket_update_by_agent(duplicate, agent=week.agent, body="Checking.")
    tickets_merge([duplicate], week.weekend, agent=week.agent, tell_requesters=False)
    _assert_equal(week, Filters(organisation=acme.pk))

    # T1 deleted: its clocks go, and so do their counts.
    ticket_delete(week.one_touch, admin=lead)
    assert not Ticket.objects.filter(pk=week.one_touch.pk).exists()
    live = _assert_equal(week, Filters(group=support.pk))
    counted_rows = list(AttainmentCounted.objects.order_by("pk").values_list())

    # A recount handed over twice adds nothing; the rebuild, from damaged tables, gives the same rows.
    attainment_recount(list(Ticket.objects.values_list("pk", flat=True)))
    assert _rollups() == live
    DailyAttainment.objects.update(met=99)
    TeamAttainment.objects.update(breached=99)
    call_command("reports_rebuild", stdout=StringIO())
    assert _assert_equal(week) == live
    assert list(AttainmentCounted.objects.order_by("pk").values_list()) == counted_rows
