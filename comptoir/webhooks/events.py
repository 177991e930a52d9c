"""Which webhook event types a change of a ticket makes: the backbone's event kinds, mapped.

One delivery per event type and change, so an agent's "reply and solve" is a
message.created and a ticket.solved, and a change of priority and tags together
one ticket.updated listing both. A new ticket is one ticket.created carrying its
first message: no ticket.updated or message.created of the same change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from comptoir.tickets.models import EventKind, Status, TicketEvent
from comptoir.webhooks.models import EventType

UPDATED_KINDS = frozenset(
    {
        EventKind.STATUS,
        EventKind.ASSIGNEE,
        EventKind.GROUP,
        EventKind.PRIORITY,
        EventKind.TYPE,
        EventKind.TAG_ADDED,
        EventKind.TAG_REMOVED,
        EventKind.CC_ADDED,
        EventKind.CC_REMOVED,
        EventKind.REQUESTER_CHANGED,
        EventKind.REQUESTER_ERASED,
        EventKind.SPAM,
        EventKind.MERGED_INTO,
        EventKind.MERGED_FROM,
        EventKind.FOLLOW_UP,
    }
)
# Each of these is its own delivery, even when one change records several.
_ONE_EACH = {
    EventKind.REPLY: EventType.MESSAGE_CREATED,
    EventKind.NOTE: EventType.MESSAGE_CREATED,
    EventKind.SLA_BREACH: EventType.SLA_BREACHED,
    EventKind.SATISFACTION: EventType.SURVEY_ANSWERED,
}
WEBHOOK_KINDS = frozenset({EventKind.CREATED, *UPDATED_KINDS, *_ONE_EACH})


@dataclass
class Occurrence:
    """One delivery's worth of a change: its type, its main event, and the events it sums up."""

    event_type: str
    event: TicketEvent
    events: list[TicketEvent] = field(default_factory=list)


def occurrences(events: list[TicketEvent]) -> list[Occurrence]:
    """What the change's events (in the order recorded) say to webhooks, in that order."""
    created = next((event for event in events if event.kind == EventKind.CREATED), None)
    if created is not None:
        return [Occurrence(EventType.TICKET_CREATED, created, [created])]
    found: list[Occurrence] = []
    updated: Occurrence | None = None
    for event in events:
        if event.kind in _ONE_EACH:
            found.append(Occurrence(_ONE_EACH[EventKind(event.kind)], event, [event]))
        elif event.kind == EventKind.STATUS and event.new_value == Status.SOLVED:
            found.append(Occurrence(EventType.TICKET_SOLVED, event, [event]))
        elif event.kind in UPDATED_KINDS:
            if updated is None:
                updated = Occurrence(EventType.TICKET_UPDATED, event)
                found.append(updated)
            updated.events.append(event)
    return found
