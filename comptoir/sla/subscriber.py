"""SLA clocks as a subscriber of the event backbone: every change that can move a clock brings them up to date."""

from __future__ import annotations

from uuid import UUID

from comptoir.events.registry import subscribe
from comptoir.sla.attainment import attainment_recount
from comptoir.sla.services import ticket_sla_refresh
from comptoir.tickets.history import change_events
from comptoir.tickets.models import EventKind

# What starts, pauses, resumes, meets or stops a clock, and what may change the policy that applies.
SLA_KINDS = frozenset(
    {
        EventKind.CREATED,
        EventKind.REPLY,
        EventKind.STATUS,
        EventKind.PRIORITY,
        EventKind.GROUP,
        EventKind.TYPE,
        EventKind.TAG_ADDED,
        EventKind.TAG_REMOVED,
        EventKind.MERGED_INTO,
        # A ticket field's value: a policy may name it (SlaPolicy.field_conditions).
        EventKind.FIELD,
        # The requester's organisation comes with them (a policy may name it; the reports count by it).
        EventKind.REQUESTER_CHANGED,
    }
)
# What moves no clock but the dimensions the reports' daily attainment counts the ticket's clocks under.
ATTAINMENT_KINDS = frozenset({EventKind.ASSIGNEE})


@subscribe("sla", kinds=SLA_KINDS | ATTAINMENT_KINDS)
def sla_clocks_follow(change: UUID) -> None:
    # The dispatcher runs this in the transaction that marks the change done, one change of a
    # ticket at a time and in order; the clocks are rebuilt from the whole history, so a change
    # handed over twice writes nothing the second time (nor does a recount).
    events = change_events(change)
    if not events:
        return
    ticket = events[0].ticket
    if any(event.kind in SLA_KINDS for event in events):
        ticket_sla_refresh(ticket)
    else:
        attainment_recount([ticket.pk], tickets={ticket.pk: ticket})
