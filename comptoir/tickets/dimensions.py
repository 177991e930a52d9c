"""What a ticket is counted under by the reports' rollups and the service levels' daily attainment.

One definition for both (comptoir.reports and comptoir.sla are siblings that may not import each other):
the columns, the abstract model that carries them, and how a ticket's are read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import models

from comptoir.tickets.models import Ticket

DIMENSIONS = ("group", "assignee", "channel", "type", "priority", "language", "organisation")
# The dimensions the team rollups keep (reports' TeamRollup, the service levels' TeamAttainment): a day
# holds a few dozen rows of them where it holds a thousand of every dimension; a filter on another reads
# the full rollups.
TEAM_DIMENSIONS = ("group", "assignee")


class TicketDimensions(models.Model):
    """A count's ticket dimensions: group, assignee and organisation by id (0: none), the rest by value."""

    group = models.PositiveIntegerField(default=0)
    assignee = models.PositiveIntegerField(default=0)
    channel = models.CharField(max_length=10)
    type = models.CharField(max_length=20)
    priority = models.CharField(max_length=10)
    language = models.CharField(max_length=8)
    organisation = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


def dimensions_of(ticket: Ticket) -> dict[str, object]:
    """The dimensions the ticket's figures are counted under, as they are now (its requester read)."""
    return {
        "group": ticket.group_id or 0,
        "assignee": ticket.assignee_id or 0,
        "channel": ticket.channel,
        "type": ticket.type,
        "priority": ticket.priority,
        "language": ticket.language,
        "organisation": ticket.requester.organisation_id or 0,
    }


def tags_of(ticket_ids: Sequence[int]) -> dict[int, list[int]]:
    """The ids of each ticket's tags, in order: one query."""
    rows = (
        Ticket.tags.through.objects.filter(ticket_id__in=list(ticket_ids))
        .order_by("ticket_id", "tag_id")
        .values_list("ticket_id", "tag_id")
    )
    tags: dict[int, list[int]] = defaultdict(list)
    for ticket_id, tag_id in rows:
        tags[ticket_id].append(tag_id)
    return tags
