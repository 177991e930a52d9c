"""A group's automatic assignment: who gets a ticket that enters the group without an assignee.

Per group (``SupportGroup.assignment``): nobody (agents pick tickets up), each
member in turn (round-robin, in the order they joined the desk: their id), or
the member with the fewest tickets still waiting (new, open, pending, on hold),
the first by id on a tie. Only active agents of the group who are not away
(``User.away``, set by ``agent_away_set``) are chosen, and only while the team
is at work (the group's business hours, comptoir.sla.team_hours); when nobody
is, the ticket stays unassigned, and ``assignment_catch_up`` (a beat job, every
few minutes) assigns the group's waiting tickets once the team opens or an agent
is back, oldest first.

It is a built-in step of the rules subscriber (comptoir.rules.engine), run after
the triggers of the change that moved the ticket to the group, so a trigger that
assigns the ticket itself wins. The assignee is written like a rule's actions,
through ``tickets_update_in_bulk`` without an actor: the ticket's history says
"assignee changed" by nobody, and the change is handed to the rules like any other.

Race-safety: the group's row is locked (SELECT ... FOR UPDATE) while its turn is
read and moved, so two tickets entering the group at once, on two workers, go to
two members in turn, not twice to the same one.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from comptoir.accounts.models import Role, User
from comptoir.rules.models import GroupTurn
from comptoir.sla.team_hours import TeamHoursBook, team_open
from comptoir.tickets.models import ACTIVE, Assignment, Status, SupportGroup, Ticket
from comptoir.tickets.services import PropertyChanges, tickets_update_in_bulk


def assignment_follow(ticket_id: int, *, now: datetime | None = None) -> User | None:
    """Assign the ticket as its group says, if it has a group and no assignee; returns the agent assigned."""
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("group").filter(pk=ticket_id).first()
    if ticket is None or ticket.group is None or ticket.assignee_id is not None:
        return None
    if ticket.group.assignment == Assignment.NONE or not _workable(ticket):
        return None
    # The group's turn is read and moved by one worker at a time (module docstring).
    group = SupportGroup.objects.select_for_update().get(pk=ticket.group.pk)
    agent = group_next_agent(group, now=now)
    if agent is None:
        return None
    outcome = tickets_update_in_bulk([ticket.pk], agent=None, changes=PropertyChanges(assignee=agent))
    if ticket.pk not in outcome.changed:
        return None
    if group.assignment == Assignment.ROUND_ROBIN:
        GroupTurn.objects.bulk_create(
            [GroupTurn(group=group, last_assignee=agent)],
            update_conflicts=True,
            unique_fields=["group"],
            update_fields=["last_assignee"],
        )
    return agent


def _workable(ticket: Ticket) -> bool:
    return ticket.status != Status.CLOSED and not ticket.spam and ticket.merged_into_id is None


def available_members(group: SupportGroup) -> list[User]:
    """The group's members who may get a ticket: active agents, not away, in id order."""
    return list(
        User.objects.filter(
            support_groups=group, is_active=True, role__in=(Role.AGENT, Role.ADMIN), away=False
        ).order_by("pk")
    )


def group_next_agent(group: SupportGroup, *, now: datetime | None = None) -> User | None:
    """Who gets the group's next ticket; None when the group assigns nobody, is closed, or nobody is available."""
    if group.assignment == Assignment.NONE or not team_open(group.pk, now or timezone.now()):
        return None
    if group.assignment == Assignment.ROUND_ROBIN:
        members = available_members(group)
        if not members:
            return None
        last = GroupTurn.objects.filter(group=group).values_list("last_assignee_id", flat=True).first()
        after = [member for member in members if last is not None and member.pk > last]
        return (after or members)[0]
    if group.assignment == Assignment.LEAST_OPEN:
        waiting = Count("assigned_tickets", filter=Q(assigned_tickets__status__in=ACTIVE))
        return (
            User.objects.filter(support_groups=group, is_active=True, role__in=(Role.AGENT, Role.ADMIN), away=False)
            .annotate(waiting=waiting)
            .order_by("waiting", "pk")
            .first()
        )
    return None


def assignment_catch_up(*, now: datetime | None = None, per_group: int = 200) -> int:
    """Assign the tickets waiting unassigned in groups that assign, now open with someone available.

    Oldest first, at most ``per_group`` per group and run (the next run goes on), each ticket in a
    transaction of its own as ``assignment_follow`` writes it; returns how many were assigned.
    Several workers may run it at once: the ticket's and the group's rows are locked while assigned.
    """
    now = now or timezone.now()
    assigned = 0
    groups = SupportGroup.objects.exclude(assignment=Assignment.NONE).order_by("pk")
    closed = TeamHoursBook.load().closed_groups(now)
    for group in groups:
        if group.pk in closed or not available_members(group):
            continue
        waiting = (
            Ticket.objects.filter(
                group=group, assignee__isnull=True, status__in=ACTIVE, spam=False, merged_into__isnull=True
            )
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:per_group]
        )
        for ticket_id in list(waiting):
            with transaction.atomic():
                if assignment_follow(ticket_id, now=now) is not None:
                    assigned += 1
    return assigned


@transaction.atomic
def agent_away_set(agent: User, away: bool) -> None:
    """The agent says they are away (no new ticket from their groups' assignment), or back."""
    if not agent.is_agent:
        raise ValueError("only agents are assigned tickets")
    agent.away = away
    agent.save(update_fields=["away"])
