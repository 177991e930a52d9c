"""The agent list's rows as the page shows them, worked out in Python once per page.

Django's template engine resolves each ``{{ }}`` and filter at a cost that adds
up over 25 rows (dates formatted twice, choice labels translated, a URL
reversed): the template would take longer than the queries at a million
tickets. Here each label is translated once per page, each date formatted
once, and the template only writes the values (escaping them as ever).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import formats, timezone

from comptoir.accounts.models import User
from comptoir.tickets.models import AuthorRole, Priority, Status, Ticket


@dataclass(frozen=True)
class ListRow:
    reference: int
    url: str
    subject: str
    group: str
    requester: str
    status: str
    status_label: str
    priority: str
    priority_label: str
    # "" for nobody.
    assignee: str
    updated_at: datetime
    updated_label: str
    rating: int | None
    requester_spoke_last: bool
    tags: tuple[str, ...] = ()
    # Where a search's words are in the ticket's newest message holding them: escaped, matches in <mark>.
    excerpt: str = ""


def list_rows(tickets: Iterable[Ticket], excerpts: dict[int, str] | None = None) -> list[ListRow]:
    """A row per ticket of ``selectors.ticket_rows`` (requester, assignee, group, tags and last speaker known).

    ``excerpts``: safe HTML by ticket id, from ``comptoir.workspace.search.search_excerpts``.
    """
    excerpts = excerpts or {}
    statuses = {value: str(label) for value, label in Status.choices}
    priorities = {value: str(label) for value, label in Priority.choices}
    rows = []
    for ticket in tickets:
        updated_at = timezone.localtime(ticket.updated_at)
        assignee: User | None = ticket.assignee
        rows.append(
            ListRow(
                reference=ticket.reference,
                url=reverse("agent_ticket", args=[ticket.reference]),
                subject=ticket.subject,
                group=ticket.group.name if ticket.group else "",
                requester=ticket.requester.get_full_name(),
                status=ticket.status,
                status_label=statuses.get(ticket.status, ticket.status),
                priority=ticket.priority,
                priority_label=priorities.get(ticket.priority, ticket.priority),
                assignee=assignee.get_short_name() if assignee is not None else "",
                updated_at=updated_at,
                updated_label=formats.date_format(updated_at, "SHORT_DATETIME_FORMAT"),
                rating=ticket.satisfaction_rating,
                requester_spoke_last=getattr(ticket, "last_public_role", None) == AuthorRole.REQUESTER,
                tags=tuple(tag.name for tag in ticket.tags.all()),
                excerpt=excerpts.get(ticket.pk, ""),
            )
        )
    return rows
