"""Report rollups as a subscriber of the event backbone: every change that can move a figure brings them up to date."""

from __future__ import annotations

from uuid import UUID

from comptoir.events.registry import subscribe
from comptoir.reports.facts import FACT_KINDS, change_events
from comptoir.reports.services import ticket_facts_refresh
from comptoir.tickets.models import EventKind

# What moves a figure, and what moves the dimensions a ticket is counted under.
REPORT_KINDS = frozenset(
    {
        *FACT_KINDS,
        EventKind.ASSIGNEE,
        EventKind.GROUP,
        EventKind.PRIORITY,
        EventKind.TYPE,
        EventKind.TAG_ADDED,
        EventKind.TAG_REMOVED,
        # The requester's organisation comes with them.
        EventKind.REQUESTER_CHANGED,
    }
)


@subscribe("reports", kinds=REPORT_KINDS)
def reports_follow(change: UUID) -> None:
    # The dispatcher runs this in the transaction that marks the change done, one change of a ticket
    # at a time and in order. The change's own events say what must be read again: a move of the
    # ticket moves its counts, any other change replays its history, so a change handed over twice
    # adds nothing the second time.
    ticket_id, events = change_events(change)
    if ticket_id is not None:
        ticket_facts_refresh(ticket_id=ticket_id, change=events)
