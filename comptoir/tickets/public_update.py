"""When a ticket last changed as its requester sees it: the later of its last public message and status change.

``updated_at`` also moves with internal notes, tags or a new assignee: shown to a requester, it would
tell them that something they may not read happened, and when. "My tickets" (comptoir.portal) and the
API's requester side (comptoir.api) read this instead, as subqueries on a ticket query (``OuterRef("pk")``).
"""

from __future__ import annotations

from django.db.models import DateTimeField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from comptoir.tickets.models import EventKind, Message, TicketEvent


def last_public_messages() -> QuerySet[Message]:
    """The ticket's public messages, newest first."""
    return Message.objects.filter(ticket=OuterRef("pk"), is_public=True).order_by("-created_at", "-id")


def last_status_changes() -> QuerySet[TicketEvent]:
    """The ticket's status changes, newest first."""
    return TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.STATUS).order_by("-created_at", "-id")


def later_of(public_at: object, status_at: object) -> Greatest:
    """The later of two times (expressions or field names), each falling back on the creation time.

    Greatest is NULL on SQLite when one side is: hence the fallbacks.
    """
    return Greatest(Coalesce(public_at, "created_at"), Coalesce(status_at, "created_at"), output_field=DateTimeField())


def public_update() -> Greatest:
    """The ticket's last public update, as one expression."""
    return later_of(
        Subquery(last_public_messages().values("created_at")[:1], output_field=DateTimeField()),
        Subquery(last_status_changes().values("created_at")[:1], output_field=DateTimeField()),
    )
