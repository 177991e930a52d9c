"""Which agents hear of a change of a ticket, and why: a pure decision over the change's events.

The subscriber (comptoir.notifications.subscriber) reads the facts this needs
(the members of the ticket's group and its lead, the agents an internal note mentions) and
applies each agent's choices (comptoir.notifications.preferences).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from comptoir.notifications.models import NoticeKind
from comptoir.tickets.models import AuthorRole, EventKind, TicketEvent

# "@camille", "@c.martin", "@dana-li" in a note; not an e-mail address (a letter just before the @).
_MENTION = re.compile(r"(?<![\w.@])@(\w[\w.\-]*)")

# When one change gives an agent several reasons, the one they hear: the most personal.
_FIRST = (
    NoticeKind.SLA_BREACH,
    NoticeKind.MENTION,
    NoticeKind.ASSIGNED,
    NoticeKind.REPLY,
    NoticeKind.SLA_WARNING,
    NoticeKind.NEW_IN_GROUP,
)


@dataclass(frozen=True)
class AgentNoticeDue:
    kind: str
    recipient_id: int


def mentioned_handles(body: str) -> list[str]:
    """The handles an internal note mentions, lower case, each once, in order."""
    handles: list[str] = []
    for match in _MENTION.finditer(body):
        handle = match.group(1).rstrip(".-").lower()
        if handle and handle not in handles:
            handles.append(handle)
    return handles


def agent_notices_for(
    events: Sequence[TicketEvent],
    *,
    group_member_ids: Collection[int] = (),
    mentioned_ids: Collection[int] = (),
    follower_ids: Collection[int] = (),
    lead_id: int | None = None,
) -> list[AgentNoticeDue]:
    """The notices one change of one ticket calls for; the agent who made it hears of none.

    A requester's reply is heard by the agents who follow the ticket (the assignee: by a rule).
    A service level due soon is heard by the assignee, or the group's members when
    nobody is assigned (``group_member_ids``: the members of the ticket's group).
    A breach is heard by the assignee and the group's lead (``lead_id``), once
    when they are the same agent; by the group's members when it has no lead,
    so that a breach never goes unheard.
    """
    if not events:
        return []
    ticket = events[0].ticket
    actor_id = events[0].actor_id
    reasons: dict[int, set[str]] = {}

    def due(kind: str, recipient_id: int | None) -> None:
        if recipient_id is not None and recipient_id != actor_id:
            reasons.setdefault(recipient_id, set()).add(kind)

    for event in events:
        if event.automatic:
            continue
        if event.kind == EventKind.SLA_WARNING:
            if ticket.assignee_id is not None:
                due(NoticeKind.SLA_WARNING, ticket.assignee_id)
            else:
                for member_id in group_member_ids:
                    due(NoticeKind.SLA_WARNING, member_id)
        elif event.kind == EventKind.SLA_BREACH:
            due(NoticeKind.SLA_BREACH, ticket.assignee_id)
            if lead_id is not None:
                due(NoticeKind.SLA_BREACH, lead_id)
            else:
                for member_id in group_member_ids:
                    due(NoticeKind.SLA_BREACH, member_id)
        elif event.kind == EventKind.GROUP and ticket.group_id is not None:
            for member_id in group_member_ids:
                due(NoticeKind.NEW_IN_GROUP, member_id)
        elif event.kind == EventKind.ASSIGNEE:
            due(NoticeKind.ASSIGNED, ticket.assignee_id)
        elif event.kind == EventKind.REPLY and event.message is not None:
            # The assignee hears of it through the default rule "Tell the assignee when the requester
            # replies" (comptoir.rules.defaults), which admins may change or turn off.
            if event.message.author_role == AuthorRole.REQUESTER:
                for follower_id in follower_ids:
                    due(NoticeKind.REPLY, follower_id)
        elif event.kind == EventKind.NOTE and event.message is not None:
            # Only an agent's note mentions: a note kept from an e-mail holds an outsider's words.
            if event.message.author_role != AuthorRole.AGENT:
                continue
            for agent_id in mentioned_ids:
                due(NoticeKind.MENTION, agent_id)
    return [
        AgentNoticeDue(next(kind for kind in _FIRST if kind in kinds), recipient_id)
        for recipient_id, kinds in reasons.items()
    ]
