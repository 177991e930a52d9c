"""Who is e-mailed about a change of a ticket: a pure decision over the change's events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from comptoir.mail.models import OutboundKind
from comptoir.tickets.models import AuthorRole, EventKind, Message, Status, TicketEvent

# The kinds of event that can lead to an e-mail.
NOTIFYING_KINDS = frozenset({EventKind.CREATED, EventKind.REPLY, EventKind.STATUS, EventKind.CC_ADDED})


@dataclass(frozen=True)
class Notice:
    kind: str
    to: str
    language: str
    message: Message | None = None


def notices_for(events: Sequence[TicketEvent]) -> list[Notice]:
    """The e-mails one change calls for, in order; ``events`` belong to one change of one ticket."""
    if not events:
        return []
    ticket = events[0].ticket
    actor = events[0].actor
    requester = ticket.requester
    notices: list[Notice] = []
    by_kind = {event.kind: event for event in events}

    created = by_kind.get(EventKind.CREATED)
    if created is not None and not created.automatic and not created.quiet:
        # Never answer a robot: an autoresponder's ticket gets no confirmation; nor a
        # caller whose ticket the agent opened saying not to send one.
        notices.append(Notice(OutboundKind.TICKET_CREATED, requester.email, ticket.language))

    reply = by_kind.get(EventKind.REPLY)
    reply_message = reply.message if reply is not None else None
    if reply is None or reply_message is None or reply.automatic or reply_message.author_role == AuthorRole.REQUESTER:
        # A requester's words go to the agents only: the assignee hears of them through the default rule
        # "Tell the assignee when the requester replies" (comptoir.rules.defaults), followers through
        # their notices (comptoir.notifications.subscriber).
        reply_message = None

    status = by_kind.get(EventKind.STATUS)
    # Solved by an agent, or by nobody: a business rule (comptoir.rules) acts without an actor, and its
    # customer is told as an agent's would be. The requester solving their own ticket is not told; the
    # default auto-close rule closes (a status of its own), it does not solve.
    solved_for_requester = (
        status is not None and status.new_value == Status.SOLVED and (actor is None or actor.is_agent)
    )
    if solved_for_requester:
        # One e-mail: "solved", carrying the reply written with it, and the survey.
        notices.append(Notice(OutboundKind.TICKET_SOLVED, requester.email, ticket.language, reply_message))
    elif reply_message is not None:
        notices.append(Notice(OutboundKind.AGENT_REPLY, requester.email, ticket.language, reply_message))
    if reply_message is not None:
        # People copied on the ticket read the reply too, without the requester's link.
        notices.extend(
            Notice(OutboundKind.AGENT_REPLY_CC, cc.email, ticket.language, reply_message) for cc in ticket.ccs.all()
        )

    if EventKind.CC_ADDED in by_kind:
        # Someone else now reads the requester's conversation: the requester is told, once per change,
        # even when the requester seems to have copied them: an e-mail's From proves little.
        notices.append(Notice(OutboundKind.CCS_ADDED, requester.email, ticket.language))
    return notices
