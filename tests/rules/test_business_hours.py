"""Teams' business hours: rules ask whether a ticket comes within them, and assignment waits for the team to open."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import Role, User
from comptoir.rules.assignment import agent_away_set, assignment_catch_up
from comptoir.rules.automations import automations_run, candidates
from comptoir.rules.engine import dry_run
from comptoir.rules.models import Outcome, Rule, RuleRun
from comptoir.rules.tasks import assign_waiting_tickets
from comptoir.rules.validation import rule_errors
from comptoir.sla.models import BusinessSchedule, OpeningRange, TeamHours
from comptoir.sla.team_hours import TeamHoursBook, team_open
from comptoir.tickets.models import Assignment, Channel, Status, SupportGroup, Ticket
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent

pytestmark = pytest.mark.django_db


def schedule(name: str, *, open_all_day: bool) -> BusinessSchedule:
    """Open round the clock every day, or never (no opening range, no holidays)."""
    hours = BusinessSchedule.objects.create(name=name, time_zone="Europe/Paris", country="")
    if open_all_day:
        OpeningRange.objects.bulk_create(
            OpeningRange(schedule=hours, weekday=day, start=time(0), end=time(0)) for day in range(7)
        )
    return hours


@pytest.fixture
def office(db) -> BusinessSchedule:
    """Monday to Friday, 9:00 to 17:00, Paris."""
    hours = BusinessSchedule.objects.create(name="Office", time_zone="Europe/Paris", country="")
    OpeningRange.objects.bulk_create(
        OpeningRange(schedule=hours, weekday=day, start=time(9), end=time(17)) for day in range(5)
    )
    return hours


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.get_fixed_timezone(60))  # winter: UTC+1


def trigger(conditions: list[tuple[str, str, Any]], actions: list[tuple[str, Any]], **fields: Any) -> Rule:
    rule = Rule(
        name=fields.pop("name", "After hours"),
        events=fields.pop("events", ["created"]),
        conditions=[{"field": f, "operator": o, "value": v} for f, o, v in conditions],
        actions=[{"action": a, "value": v} for a, v in actions],
        **fields,
    )
    rule.full_clean()
    rule.save()
    return rule


def tags(ticket: Ticket) -> set[str]:
    return set(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True))


def test_a_team_is_open_within_its_schedule_and_a_group_without_hours_always(office):
    support = SupportGroup.objects.create(name="Support")
    nights = SupportGroup.objects.create(name="Nights")
    TeamHours.objects.create(group=support, schedule=office)

    tuesday_ten, tuesday_eight, saturday_noon = paris(2026, 12, 1, 10), paris(2026, 12, 1, 8), paris(2026, 12, 5, 12)
    assert [team_open(support.pk, at) for at in (tuesday_ten, tuesday_eight, saturday_noon)] == [True, False, False]
    assert team_open(nights.pk, saturday_noon) and team_open(None, saturday_noon)
    assert TeamHoursBook.load().closed_groups(saturday_noon) == {support.pk}


def test_a_trigger_tags_what_comes_outside_the_teams_hours(make_ticket, agent):
    closed = SupportGroup.objects.create(name="Closed team")
    open_team = SupportGroup.objects.create(name="Open team")
    TeamHours.objects.create(group=closed, schedule=schedule("Never", open_all_day=False))
    TeamHours.objects.create(group=open_team, schedule=schedule("Always", open_all_day=True))
    rule = trigger([("business_hours", "is", "outside")], [("add_tags", "after-hours")], events=["created", "updated"])

    to_closed, to_open, no_group = make_ticket(), make_ticket(), make_ticket()
    ticket_update_by_agent(to_closed, agent=agent, group=closed)
    ticket_update_by_agent(to_open, agent=agent, group=open_team)

    assert (tags(to_closed), tags(to_open), tags(no_group)) == ({"after-hours"}, set(), set())
    # "Why did it not fire": the first failed condition is the business hours.
    miss = RuleRun.objects.get(rule=rule, ticket=to_open, outcome=Outcome.NOT_FIRED)
    assert miss.failed_condition == {"field": "business_hours", "operator": "is", "value": "outside"}


def test_the_dry_run_reads_the_hours_when_each_ticket_came(make_ticket, agent, office):
    support = SupportGroup.objects.create(name="Support")
    TeamHours.objects.create(group=support, schedule=office)
    weekday, weekend = make_ticket(), make_ticket()
    Ticket.objects.filter(pk=weekday.pk).update(group=support, created_at=paris(2026, 12, 1, 10))
    Ticket.objects.filter(pk=weekend.pk).update(group=support, created_at=paris(2026, 12, 5, 10))
    rule = Rule(
        name="Weekend",
        events=["created"],
        conditions=[{"field": "business_hours", "operator": "is", "value": "outside"}],
        actions=[{"action": "add_tags", "value": "weekend"}],
    )

    found = dry_run(rule, list(Ticket.objects.filter(pk__in=[weekday.pk, weekend.pk])))

    assert [would.ticket.pk for would in found] == [weekend.pk]


def test_an_automation_reads_the_hours_in_the_database_at_its_run(make_ticket, agent):
    closed = SupportGroup.objects.create(name="Closed team")
    TeamHours.objects.create(group=closed, schedule=schedule("Never", open_all_day=False))
    Rule.objects.exclude(built_in="").delete()  # only this test's automation
    rule = Rule(
        name="Remind within hours",
        kind="automation",
        conditions=[
            {"field": "status", "operator": "is", "value": "pending"},
            {"field": "hours_in_status", "operator": "at_least", "value": 24},
            {"field": "business_hours", "operator": "is", "value": "within"},
        ],
        actions=[{"action": "add_tags", "value": "reminded"}],
    )
    rule.full_clean()
    rule.save()
    in_closed, no_group = make_ticket(), make_ticket()
    ticket_update_by_agent(in_closed, agent=agent, group=closed, status=Status.PENDING)
    ticket_update_by_agent(no_group, agent=agent, status=Status.PENDING)
    later = timezone.now() + timedelta(days=2)

    assert list(candidates(rule, now=later).values_list("pk", flat=True)) == [no_group.pk]
    assert automations_run(now=later) == 1
    assert (tags(in_closed), tags(no_group)) == (set(), {"reminded"})


def test_only_within_or_outside_is_a_business_hours_value():
    rule = Rule(
        name="Odd",
        events=["created"],
        conditions=[{"field": "business_hours", "operator": "is", "value": "sometimes"}],
        actions=[{"action": "add_tags", "value": "x"}],
    )
    assert any("sometimes" in error for error in rule_errors(rule)["conditions"])
    both = Rule(
        name="Never",
        events=["created"],
        conditions=[
            {"field": "business_hours", "operator": "is", "value": "within"},
            {"field": "business_hours", "operator": "is", "value": "outside"},
        ],
        actions=[{"action": "add_tags", "value": "x"}],
    )
    assert rule_errors(both)["conditions"]


# --- Assignment waits for the team ---------------------------------------------------------------


@pytest.fixture
def team(db) -> list[User]:
    return [
        User.objects.create_user(f"{name.lower()}@example.com", password=None, name=name, role=Role.AGENT)
        for name in ("Anna", "Bruno")
    ]


def test_a_closed_team_gets_no_ticket_until_it_opens_then_the_oldest_first(make_ticket, agent, team):
    group = SupportGroup.objects.create(name="Support", assignment=Assignment.ROUND_ROBIN)
    group.members.set(team)
    hours = TeamHours.objects.create(group=group, schedule=schedule("Never", open_all_day=False))
    first, second = make_ticket(subject="First"), make_ticket(subject="Second")
    for ticket in (first, second):
        ticket_update_by_agent(ticket, agent=agent, group=group)

    assert Ticket.objects.filter(pk__in=[first.pk, second.pk], assignee__isnull=False).count() == 0
    assert assignment_catch_up() == 0

    hours.schedule = schedule("Always", open_all_day=True)
    hours.save()
    assert assign_waiting_tickets() == 2  # the beat's job
    assert [Ticket.objects.get(pk=t.pk).assignee for t in (first, second)] == [team[0], team[1]]
    assert assignment_catch_up() == 0


def test_catching_up_waits_for_an_agent_back_and_leaves_groups_that_do_not_assign(make_ticket, agent, team):
    assigning = SupportGroup.objects.create(name="Support", assignment=Assignment.LEAST_OPEN)
    assigning.members.set(team)
    manual = SupportGroup.objects.create(name="Manual")
    manual.members.set(team)
    for member in team:
        agent_away_set(member, True)
    waiting, picked_by_hand = make_ticket(), make_ticket()
    ticket_update_by_agent(waiting, agent=agent, group=assigning)
    ticket_update_by_agent(picked_by_hand, agent=agent, group=manual)

    assert assignment_catch_up() == 0
    agent_away_set(team[1], False)
    assert assignment_catch_up() == 1
    assert Ticket.objects.get(pk=waiting.pk).assignee == team[1]
    assert Ticket.objects.get(pk=picked_by_hand.pk).assignee is None


# --- In the settings -----------------------------------------------------------------------------


def url(name: str, *args: object) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def test_the_business_hours_page_says_which_teams_work_them(client, office):
    admin = User.objects.create_user("admin@example.com", name="Ada", role=Role.ADMIN, language="en")
    client.force_login(admin)
    support = SupportGroup.objects.create(name="Support")
    billing = SupportGroup.objects.create(name="Billing")
    other = schedule("Other", open_all_day=True)
    TeamHours.objects.create(group=billing, schedule=other)
    page = client.get(url("agent_sla_schedule", office.pk)).content.decode()
    assert "Teams working these hours" in page

    form = {
        "name": "Office",
        "time_zone": "Europe/Paris",
        "country": "",
        "subdivision": "",
        "teams": [str(support.pk), str(billing.pk)],
        "closed-TOTAL_FORMS": "0",
        "closed-INITIAL_FORMS": "0",
    }
    for day in range(7):
        opens = day < 5
        form |= {f"day{day}-TOTAL_FORMS": "1" if opens else "0", f"day{day}-INITIAL_FORMS": "0"}
        if opens:
            form |= {f"day{day}-0-start": "09:00", f"day{day}-0-end": "17:00"}
    response = client.post(url("agent_sla_schedule", office.pk), form)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert dict(TeamHours.objects.values_list("group__name", "schedule__name")) == {
        "Support": "Office",
        "Billing": "Office",  # moved from "Other"
    }
    form["teams"] = [str(billing.pk)]
    client.post(url("agent_sla_schedule", office.pk), form)
    assert dict(TeamHours.objects.values_list("group__name", "schedule__name")) == {"Billing": "Office"}


# --- The assignee's availability: reassigning an away agent's tickets is a rule ------------------


def test_an_automation_gives_an_away_agent_s_waiting_tickets_back_to_the_group(make_ticket, agent, team):
    Rule.objects.exclude(built_in="").delete()  # only this test's automation
    group = SupportGroup.objects.create(name="Support", assignment=Assignment.ROUND_ROBIN)
    group.members.set(team)
    rule = Rule(
        name="Away: back to the group",
        kind="automation",
        conditions=[
            {"field": "assignee_availability", "operator": "is", "value": "away"},
            {"field": "hours_since_requester_message", "operator": "at_least", "value": 1},
        ],
        actions=[{"action": "set_assignee", "value": None}],
    )
    rule.full_clean()
    rule.save()
    waiting, kept = make_ticket(subject="Waiting"), make_ticket(subject="Kept")
    ticket_update_by_agent(waiting, agent=agent, group=group, assignee=team[0])
    ticket_update_by_agent(kept, agent=agent, group=group, assignee=team[1])
    agent_away_set(team[0], True)
    later = timezone.now() + timedelta(hours=2)

    assert list(candidates(rule, now=later).values_list("pk", flat=True)) == [waiting.pk]
    assert automations_run(now=later) == 1
    assert Ticket.objects.get(pk=waiting.pk).assignee is None
    # The group's assignment, catching up, gives it to the member who is not away.
    assert assignment_catch_up() == 1
    assert Ticket.objects.get(pk=waiting.pk).assignee == team[1]
    assert Ticket.objects.get(pk=kept.pk).assignee == team[1]


def test_a_trigger_reads_whether_the_assignee_is_away_and_an_unassigned_ticket_is_neither(make_ticket, agent, team):
    trigger(
        [("assignee_availability", "is_not", "available")],
        [("add_tags", "not-covered")],
        events=["requester_message"],
    )
    away, present, nobody = make_ticket(subject="A"), make_ticket(subject="B"), make_ticket(subject="C")
    ticket_update_by_agent(away, agent=agent, assignee=team[0])
    ticket_update_by_agent(present, agent=agent, assignee=team[1])
    agent_away_set(team[0], True)

    for ticket in (away, present, nobody):
        ticket_reply_by_requester(ticket=ticket, body="Any news?", channel=Channel.WEB)

    # "Is not available": away, and nobody to be available.
    assert (tags(away), tags(present), tags(nobody)) == ({"not-covered"}, set(), {"not-covered"})


@pytest.mark.parametrize("tickets", [1, 4])
def test_an_automation_run_reads_the_teams_hours_the_same_number_of_times_whatever_its_candidates(
    make_ticket, agent, tickets
):
    Rule.objects.exclude(built_in="").delete()  # only this test's automation
    group = SupportGroup.objects.create(name="Support")
    TeamHours.objects.create(group=group, schedule=schedule("Always", open_all_day=True))
    rule = Rule(
        name="Remind within hours",
        kind="automation",
        conditions=[
            {"field": "hours_in_status", "operator": "at_least", "value": 24},
            {"field": "business_hours", "operator": "is", "value": "within"},
        ],
        actions=[{"action": "add_tags", "value": "reminded"}],
    )
    rule.full_clean()
    rule.save()
    for _ in range(tickets):
        ticket_update_by_agent(make_ticket(), agent=agent, group=group, status=Status.PENDING)

    with CaptureQueriesContext(connection) as run:
        assert automations_run(now=timezone.now() + timedelta(days=2)) == tickets

    # The candidates' filter and the run's facts: one read of the teams' hours each, not one per ticket.
    assert sum('"sla_teamhours"' in query["sql"] for query in run.captured_queries) == 2
