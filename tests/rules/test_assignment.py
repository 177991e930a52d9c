"""A group's automatic assignment: none, round-robin or least open tickets, among members not away."""

from __future__ import annotations

import pytest

from comptoir.accounts.models import Role, User
from comptoir.rules.assignment import agent_away_set, group_next_agent
from comptoir.rules.models import GroupTurn
from comptoir.tickets.models import Assignment, EventKind, Status, SupportGroup, Ticket, TicketEvent
from comptoir.tickets.services import ticket_update_by_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db) -> list[User]:
    return [
        User.objects.create_user(f"{name.lower()}@example.com", password=None, name=name, role=Role.AGENT)
        for name in ("Anna", "Bruno", "Chloé")
    ]


def group_of(team: list[User], assignment: str) -> SupportGroup:
    group = SupportGroup.objects.create(name="Support", assignment=assignment)
    group.members.set(team)
    return group


def routed(make_ticket, lead: User, group: SupportGroup, **extra) -> Ticket:
    """A ticket moved to the group by an agent, as triage does."""
    ticket = make_ticket(**extra)
    ticket_update_by_agent(ticket, agent=lead, group=group)
    return Ticket.objects.get(pk=ticket.pk)


def test_round_robin_gives_each_member_a_ticket_in_turn(make_ticket, agent, team):
    group = group_of(team, Assignment.ROUND_ROBIN)

    assignees = [routed(make_ticket, agent, group).assignee for _ in range(4)]

    assert assignees == [team[0], team[1], team[2], team[0]]
    assert GroupTurn.objects.get(group=group).last_assignee == team[0]


def test_round_robin_skips_members_away_and_those_no_longer_agents(make_ticket, agent, team):
    group = group_of(team, Assignment.ROUND_ROBIN)
    agent_away_set(team[1], True)
    User.objects.filter(pk=team[2].pk).update(is_active=False)

    assignees = [routed(make_ticket, agent, group).assignee for _ in range(2)]

    assert assignees == [team[0], team[0]]
    agent_away_set(team[1], False)
    assert routed(make_ticket, agent, group).assignee == team[1]


def test_least_open_picks_the_member_with_the_fewest_waiting_tickets(make_ticket, agent, team):
    group = group_of(team, Assignment.LEAST_OPEN)
    for _ in range(2):
        ticket_update_by_agent(make_ticket(), agent=agent, assignee=team[0])
    ticket_update_by_agent(make_ticket(), agent=agent, assignee=team[1])
    solved = make_ticket()
    ticket_update_by_agent(solved, agent=agent, assignee=team[2], status=Status.SOLVED)
    ticket_update_by_agent(make_ticket(), agent=agent, assignee=team[2])

    # Chloé has one waiting (her solved one does not count), Bruno one: the first by id of them.
    assert routed(make_ticket, agent, group).assignee == team[1]
    assert routed(make_ticket, agent, group).assignee == team[2]


def test_a_group_without_assignment_or_without_anyone_available_leaves_the_ticket_unassigned(make_ticket, agent, team):
    nobody = group_of(team, Assignment.NONE)
    assert routed(make_ticket, agent, nobody).assignee is None

    away = SupportGroup.objects.create(name="Away", assignment=Assignment.ROUND_ROBIN)
    away.members.set([team[0]])
    agent_away_set(team[0], True)
    assert routed(make_ticket, agent, away).assignee is None


def test_the_assignment_is_a_change_of_its_own_by_nobody_after_the_group_s(make_ticket, agent, team):
    group = group_of(team, Assignment.ROUND_ROBIN)

    ticket = routed(make_ticket, agent, group)

    group_event, assignee_event = TicketEvent.objects.filter(
        ticket=ticket, kind__in=(EventKind.GROUP, EventKind.ASSIGNEE)
    ).order_by("id")
    assert (group_event.actor, assignee_event.actor, assignee_event.new_value) == (agent, None, "Anna")
    assert group_event.change != assignee_event.change


def test_a_ticket_moved_with_an_assignee_keeps_it(make_ticket, agent, team):
    group = group_of(team, Assignment.ROUND_ROBIN)
    ticket = make_ticket()

    ticket_update_by_agent(ticket, agent=agent, group=group, assignee=team[2])

    assert Ticket.objects.get(pk=ticket.pk).assignee == team[2]
    assert not GroupTurn.objects.exists()


def test_a_rule_routing_a_new_ticket_sets_off_the_group_s_assignment(make_rule, make_ticket, team):
    group = group_of(team, Assignment.ROUND_ROBIN)
    make_rule(
        "Invoices",
        events=["created"],
        conditions=[("subject", "contains", "invoice")],
        actions=[("set_group", group.pk)],
    )

    ticket = make_ticket(subject="Invoice missing")

    ticket.refresh_from_db()
    assert (ticket.group, ticket.assignee, ticket.status) == (group, team[0], Status.NEW)


def test_a_trigger_that_assigns_wins_over_the_group_s_turn(make_rule, make_ticket, agent, team):
    group = group_of(team, Assignment.ROUND_ROBIN)
    make_rule(
        "Billing to Chloé",
        events=["updated"],
        conditions=[("group", "is", group.pk)],
        actions=[("set_assignee", team[2].pk)],
    )

    assert routed(make_ticket, agent, group).assignee == team[2]
    assert not GroupTurn.objects.exists()


def test_only_agents_set_themselves_away(requester):
    with pytest.raises(ValueError, match="only agents"):
        agent_away_set(requester, True)


def test_the_next_agent_of_a_group_without_assignment_is_nobody(team):
    assert group_next_agent(group_of(team, Assignment.NONE)) is None


def test_admins_choose_a_group_s_assignment_in_the_admin(client, team):
    from django.urls import reverse

    client.force_login(User.objects.create_superuser("admin@example.com", password="admin-password-1"))

    response = client.post(
        reverse("admin:tickets_supportgroup_add"),
        {"name": "Shipping", "assignment": Assignment.LEAST_OPEN, "members": [team[0].pk]},
    )
    client.post(reverse("admin:tickets_supportgroup_add"), {"name": "Sales"})

    assert response.status_code == 302
    assert SupportGroup.objects.get(name="Shipping").assignment == Assignment.LEAST_OPEN
    # Saved without saying: nobody is assigned automatically, as before the setting existed.
    assert SupportGroup.objects.get(name="Sales").assignment == Assignment.NONE
