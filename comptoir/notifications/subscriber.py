"""Ticket e-mails and agents' notices, as subscribers of the event backbone: a change in, what it calls for out."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.db.models import Q, QuerySet

from comptoir.accounts.mailing import person_email_queue
from comptoir.accounts.models import Role, User
from comptoir.events.registry import subscribe
from comptoir.mail.models import OutboundKind
from comptoir.notifications.agent_rules import agent_notices_for, mentioned_handles
from comptoir.notifications.models import AgentNotice, NoticeKind
from comptoir.notifications.preferences import choices_for
from comptoir.notifications.rules import NOTIFYING_KINDS, notices_for
from comptoir.tickets.history import change_events
from comptoir.tickets.models import AuthorRole, EventKind


@subscribe("notifications", kinds=NOTIFYING_KINDS)
def notify(change: UUID) -> None:
    # The dispatcher runs this in the transaction that marks the change done,
    # so a retry after a crash queues nothing twice.
    events = change_events(change)
    for notice in notices_for(events):
        person_email_queue(
            kind=notice.kind,
            to=notice.to,
            language=notice.language,
            ticket_id=events[0].ticket_id,
            message_id=notice.message.pk if notice.message is not None else None,
        )


AGENT_NOTICE_KINDS = frozenset(
    {EventKind.GROUP, EventKind.ASSIGNEE, EventKind.REPLY, EventKind.NOTE, EventKind.SLA_WARNING, EventKind.SLA_BREACH}
)
# The kinds whose notices go to the members of the ticket's group.
_GROUP_KINDS = frozenset({EventKind.GROUP, EventKind.SLA_WARNING, EventKind.SLA_BREACH})
# The e-mail of each notice.
_EMAILS = {
    NoticeKind.ASSIGNED: OutboundKind.AGENT_ASSIGNED,
    NoticeKind.MENTION: OutboundKind.AGENT_MENTIONED,
    NoticeKind.NEW_IN_GROUP: OutboundKind.AGENT_NEW_IN_GROUP,
    NoticeKind.SLA_WARNING: OutboundKind.AGENT_SLA_WARNING,
    NoticeKind.SLA_BREACH: OutboundKind.AGENT_SLA_BREACH,
    # A follower's: the e-mail the assignee gets of a requester's reply.
    NoticeKind.REPLY: OutboundKind.REQUESTER_REPLIED,
}


@subscribe("agent_notices", kinds=AGENT_NOTICE_KINDS)
def notify_agents(change: UUID) -> None:
    """The notices of one change: in the workspace and by e-mail, as each agent chose."""
    events = change_events(change)
    if not events:
        return
    ticket = events[0].ticket
    members: list[int] = []
    if ticket.group_id is not None and any(event.kind in _GROUP_KINDS for event in events):
        members = list(_agents().filter(support_groups=ticket.group_id).values_list("pk", flat=True))
    lead_id = None
    if ticket.group_id is not None and any(event.kind == EventKind.SLA_BREACH for event in events):
        # The group's lead, while they are an active agent: told of each breach.
        lead_id = _agents().filter(led_groups=ticket.group_id).values_list("pk", flat=True).first()
    notes = [
        event.message
        for event in events
        if event.kind == EventKind.NOTE and event.message is not None and event.message.author_role == AuthorRole.AGENT
    ]
    handles = [handle for note in notes for handle in mentioned_handles(note.body)]
    replies = [
        event.message
        for event in events
        if event.kind == EventKind.REPLY
        and event.message is not None
        and event.message.author_role == AuthorRole.REQUESTER
    ]
    followers: list[int] = []
    if replies:
        followers = list(_agents().filter(followed_tickets=ticket.pk).values_list("pk", flat=True))
    due = agent_notices_for(
        events,
        group_member_ids=members,
        mentioned_ids=_agents_named(handles),
        follower_ids=followers,
        lead_id=lead_id,
    )
    if not due:
        return
    choices = choices_for([notice.recipient_id for notice in due])
    AgentNotice.objects.bulk_create(
        AgentNotice(recipient_id=notice.recipient_id, ticket=ticket, kind=notice.kind, actor_id=events[0].actor_id)
        for notice in due
        if choices[(notice.recipient_id, notice.kind)][0]
    )
    emailed = [notice for notice in due if notice.kind in _EMAILS and choices[(notice.recipient_id, notice.kind)][1]]
    people = _agents().in_bulk([notice.recipient_id for notice in emailed])
    for notice in emailed:
        agent = people.get(notice.recipient_id)
        if agent is None:
            continue
        message_id = None
        if notice.kind == NoticeKind.MENTION and notes:
            message_id = notes[0].pk
        elif notice.kind == NoticeKind.REPLY and replies:
            message_id = replies[0].pk
        person_email_queue(
            kind=_EMAILS[NoticeKind(notice.kind)],
            to=agent.email,
            language=agent.language or settings.LANGUAGE_CODE,
            ticket_id=ticket.pk,
            message_id=message_id,
        )


def _agents() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=(Role.AGENT, Role.ADMIN))


def _agents_named(handles: list[str]) -> list[int]:
    """The agents an @handle names: the start of their address (@camille.martin) or their first name (@camille)."""
    if not handles:
        return []
    named = Q()
    for handle in handles:
        named |= Q(email__istartswith=handle + "@") | Q(name__iexact=handle) | Q(name__istartswith=handle + " ")
    return list(_agents().filter(named).values_list("pk", flat=True))
