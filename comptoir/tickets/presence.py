"""Which agents have a ticket open: the page checks in, and lists the others who did lately."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from comptoir.accounts.models import User
from comptoir.tickets.models import Ticket, TicketPresence

# An agent counts as "viewing" a ticket for this long after the page last checked in.
PRESENCE_WINDOW = timedelta(seconds=45)


def presence_record(*, ticket: Ticket, agent: User, composing: bool) -> TicketPresence:
    """Check the agent in on the ticket now: one row per agent and ticket, refreshed on every call."""
    presence, _created = TicketPresence.objects.update_or_create(
        ticket=ticket, agent=agent, defaults={"seen_at": timezone.now(), "composing": composing}
    )
    return presence


def presence_others(presence: TicketPresence) -> QuerySet[TicketPresence]:
    """The other agents seen on the same ticket within the window before this check-in."""
    return (
        TicketPresence.objects.filter(ticket_id=presence.ticket_id, seen_at__gte=presence.seen_at - PRESENCE_WINDOW)
        .exclude(agent_id=presence.agent_id)
        .select_related("agent")
        .order_by("agent__name")
    )
