"""What a webhook says: the Standard Webhooks body, with the ticket as the API shows it to an agent.

The ticket and the message are written here field by field as
comptoir.api.serializers writes them (TicketSerializer as an agent reads it,
MessageSerializer), the API being a page above this layer; a test compares the
two (tests/webhooks/test_payloads.py), so they cannot drift apart silently.
Dates go through DRF's own field, so they read exactly as the API's.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import translation
from rest_framework.fields import DateTimeField

from comptoir.accounts.models import User
from comptoir.ticketforms.values import values_json, values_prefetch
from comptoir.tickets.models import REFERENCE_OFFSET, Message, Tag, Ticket, TicketEvent

_DATES = DateTimeField()
# A payload reads the same whatever language the worker runs in ("Erased requester").
PAYLOAD_LANGUAGE = "en"


def _date(value: datetime | None) -> str | None:
    return None if value is None else _DATES.to_representation(value)


def _reference(pk: int | None) -> int | None:
    return None if pk is None else pk + REFERENCE_OFFSET


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name(), "email": user.email}


def ticket_rows() -> Any:
    """Tickets with what ``ticket_data`` reads (comptoir.api.selectors.ticket_rows)."""
    return Ticket.objects.select_related("requester", "assignee", "group").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name")), values_prefetch()
    )


def ticket_data(ticket: Ticket) -> dict[str, Any]:
    """The ticket as GET /api/v1/tickets/<reference>/ shows it to an agent."""
    with translation.override(PAYLOAD_LANGUAGE):
        return {
            "reference": ticket.reference,
            "url": settings.COMPTOIR_BASE_URL + reverse("api:ticket", args=[ticket.reference]),
            "subject": ticket.subject,
            "status": ticket.status,
            "type": ticket.type,
            "channel": ticket.channel,
            "language": ticket.language,
            "requester": _person(ticket.requester),
            "follow_up_of": _reference(ticket.follow_up_of_id),
            "created_at": _date(ticket.created_at),
            "updated_at": _date(ticket.updated_at),
            "solved_at": _date(ticket.solved_at),
            "closed_at": _date(ticket.closed_at),
            "priority": ticket.priority,
            "assignee": _person(ticket.assignee),
            "group": None if ticket.group is None else {"id": ticket.group.pk, "name": ticket.group.name},
            "tags": sorted(tag.name for tag in ticket.tags.all()),
            "spam": ticket.spam,
            "merged_into": _reference(ticket.merged_into_id),
            "fields": values_json(ticket),
        }


def message_data(message: Message) -> dict[str, Any]:
    """The message as GET /api/v1/tickets/<reference>/messages/ shows it to an agent."""
    with translation.override(PAYLOAD_LANGUAGE):
        author = message.author
        return {
            "id": message.pk,
            "ticket": message.ticket_id + REFERENCE_OFFSET,
            "author": None if author is None else {"id": author.pk, "name": author.get_short_name()},
            "author_role": message.author_role,
            "public": message.is_public,
            "channel": message.channel,
            "body": message.body,
            "attachments": [
                {
                    "id": file.pk,
                    "filename": file.filename,
                    "content_type": file.content_type,
                    "size": file.size,
                    # Downloaded through the API's access check, with the receiver's own token.
                    "url": settings.COMPTOIR_BASE_URL
                    + reverse("api:attachment", args=[file.ticket_id + REFERENCE_OFFSET, file.pk]),
                }
                for file in message.attachments.all()
            ],
            "created_at": _date(message.created_at),
        }


def event_data(event: TicketEvent) -> dict[str, Any]:
    """The event from the backbone: what happened, by whom (a short name, never an address), when.

    ``old`` and ``new``: the values the history records (a status, a priority, a tag, a rating "4/5"...).
    """
    with translation.override(PAYLOAD_LANGUAGE):
        actor = event.actor.get_short_name() if event.actor is not None else None
    return {
        "id": event.pk,
        "kind": event.kind,
        "actor": actor,
        "created_at": _date(event.created_at),
        "old": event.old_value,
        "new": event.new_value,
    }


def body_write(event_type: str, *, timestamp: datetime, data: dict[str, Any]) -> str:
    """The JSON body, as signed and sent on every attempt."""
    return json.dumps(
        {"type": event_type, "timestamp": _date(timestamp), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
    )
