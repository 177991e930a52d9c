"""Read-side queries of the agent workspace; each page runs a fixed number of them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Role, User
from comptoir.mail.models import InboundEmail, InboundStatus, OutboundEmail, OutboundStatus
from comptoir.tickets.models import Attachment, Message, Priority, Status, Ticket
from comptoir.tickets.statuses import ACTIVE_STATUSES

# Rows per page of the workspace's lists (tickets, quarantine).
PAGE_SIZE = 25


@dataclass(frozen=True)
class TicketView:
    key: str
    label: str | Promise


VIEWS = (
    TicketView("unassigned", _("Unassigned")),
    TicketView("mine", _("Mine")),
    TicketView("open", _("All open")),
    TicketView("pending", _("Pending")),
    TicketView("on_hold", _("On hold")),
    TicketView("solved", _("Solved")),
    TicketView("all", _("All tickets")),
)
VIEW_KEYS = {view.key for view in VIEWS}


def view_filter(key: str, agent: User) -> Q:
    active = Q(status__in=ACTIVE_STATUSES)
    return {
        "unassigned": active & Q(assignee__isnull=True),
        "mine": active & Q(assignee=agent),
        "open": Q(status__in=(Status.NEW, Status.OPEN)),
        "pending": Q(status=Status.PENDING),
        "on_hold": Q(status=Status.ON_HOLD),
        "solved": Q(status=Status.SOLVED),
        "all": Q(),
    }[key]


def view_counts(agent: User) -> dict[str, int]:
    """The count of every view, in one aggregate query."""
    counts = Ticket.objects.aggregate(**{view.key: Count("pk", filter=view_filter(view.key, agent)) for view in VIEWS})
    return {key: int(value or 0) for key, value in counts.items()}


PRIORITY_RANK = Case(
    When(priority=Priority.URGENT, then=Value(4)),
    When(priority=Priority.HIGH, then=Value(3)),
    When(priority=Priority.NORMAL, then=Value(2)),
    default=Value(1),
    output_field=IntegerField(),
)

SORTS = {
    "-updated": ("-updated_at", "-pk"),
    "updated": ("updated_at", "pk"),
    "-created": ("-created_at", "-pk"),
    "created": ("created_at", "pk"),
    "-priority": ("-priority_rank", "-updated_at", "-pk"),
}


def ticket_rows(view_key: str, agent: User, filters: dict[str, object], sort: str) -> QuerySet[Ticket]:
    """The list's rows, with who spoke last, for any view, filters and sort."""
    last_public_role = (
        Message.objects.filter(ticket=OuterRef("pk"), is_public=True)
        .order_by("-created_at", "-id")
        .values("author_role")
    )
    rows = (
        Ticket.objects.filter(view_filter(view_key, agent))
        .filter(**{name: value for name, value in filters.items() if value is not None})
        .select_related("requester", "assignee", "group")
        .annotate(last_public_role=Subquery(last_public_role[:1]), priority_rank=PRIORITY_RANK)
        .order_by(*SORTS.get(sort, SORTS["-updated"]))
    )
    return rows


def agents() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=(Role.AGENT, Role.ADMIN)).order_by("name", "email")


def conversation(ticket: Ticket) -> QuerySet[Message]:
    """Every message, notes included: agents only."""
    return (
        Message.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )


def other_tickets(ticket: Ticket, limit: int = 10) -> QuerySet[Ticket]:
    return Ticket.objects.filter(requester_id=ticket.requester_id).exclude(pk=ticket.pk).order_by("-created_at")[:limit]


def delivery_problems(ticket: Ticket, limit: int = 10) -> QuerySet[OutboundEmail]:
    """E-mails about the ticket that failed, bounced or were held back, newest first."""
    problems = (OutboundStatus.FAILED, OutboundStatus.BOUNCED, OutboundStatus.SUPPRESSED)
    return OutboundEmail.objects.filter(ticket=ticket, status__in=problems).order_by("-created_at")[:limit]


def quarantine_count() -> int:
    return InboundEmail.objects.filter(status=InboundStatus.QUARANTINED).count()
