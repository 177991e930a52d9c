"""Read-side queries of the requester's pages ("My tickets", a ticket's page): a fixed number, whatever the rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, DateTimeField, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Organisation, User
from comptoir.tickets import access
from comptoir.tickets.models import Attachment, Message, Status, Survey, Ticket
from comptoir.tickets.public_update import last_public_messages, last_status_changes, later_of
from comptoir.tickets.statuses import ACTIVE_STATUSES, DONE_STATUSES

MAX_SEARCH_WORDS = 10


@dataclass(frozen=True)
class StatusFilter:
    key: str
    label: str | Promise
    statuses: tuple[str, ...] | None  # None: every status


# The tabs first (open ones by default), then each single status.
TABS = (
    StatusFilter("active", _("Open"), tuple(ACTIVE_STATUSES)),
    StatusFilter("done", _("Solved and closed"), tuple(DONE_STATUSES)),
    StatusFilter("all", _("All"), None),
)
FILTERS = TABS + tuple(StatusFilter(status.value, status.label, (status.value,)) for status in Status)
FILTER_KEYS = {item.key: item for item in FILTERS}
DEFAULT_FILTER = "active"


def status_filter(key: str) -> StatusFilter:
    return FILTER_KEYS.get(key) or FILTER_KEYS[DEFAULT_FILTER]


def _status_q(item: StatusFilter) -> Q:
    return Q() if item.statuses is None else Q(status__in=item.statuses)


def visible_to(user: User) -> Q:
    """The person's own tickets, and their organisation's when it shares them (the access module's rule)."""
    return access.requester_visible(user)


def sharing_organisation(user: User) -> Organisation | None:
    """The person's organisation while it shares its tickets: no query for people in none."""
    if user.organisation_id is None:
        return None
    return Organisation.objects.filter(pk=user.organisation_id, shares_tickets=True).first()


def tab_counts(user: User) -> dict[str, int]:
    """How many of the tickets the person sees each tab holds, in one aggregate query."""
    return counts_by_tab(visible_to(user))


def counts_by_tab(visible: Q) -> dict[str, int]:
    counts = Ticket.objects.filter(visible).aggregate(
        **{item.key: Count("pk", filter=_status_q(item)) for item in TABS}
    )
    return {key: int(value or 0) for key, value in counts.items()}


def search_words(query: str) -> list[str]:
    return query.split()[:MAX_SEARCH_WORDS]


def requester_tickets(*, user: User, key: str = DEFAULT_FILTER, query: str = "") -> QuerySet[Ticket]:
    """The tickets the person sees, newest update first, each with its last update and who spoke last."""
    return listed_tickets(visible_to(user), key=key, query=query)


def listed_tickets(visible: Q, *, key: str = DEFAULT_FILTER, query: str = "") -> QuerySet[Ticket]:
    """The tickets ``visible`` selects, filtered by tab and words, annotated for the list.

    Only public messages count: an internal note never shows, moves a ticket up
    or matches a search. The last update is the later of the last public message
    and the last status change.
    """
    public = Message.objects.filter(ticket=OuterRef("pk"), is_public=True)
    last_public = last_public_messages()
    last_status = last_status_changes()
    tickets = Ticket.objects.filter(visible, _status_q(status_filter(key))).select_related("requester")
    for word in search_words(query):
        tickets = tickets.filter(Q(subject__icontains=word) | Exists(public.filter(body__icontains=word)))
    return tickets.annotate(
        last_public_at=Subquery(last_public.values("created_at")[:1], output_field=DateTimeField()),
        last_public_role=Subquery(last_public.values("author_role")[:1]),
        last_public_author_id=Subquery(last_public.values("author_id")[:1]),
        last_public_author_name=Subquery(last_public.values("author__name")[:1]),
        last_status_at=Subquery(last_status.values("created_at")[:1], output_field=DateTimeField()),
        last_update=later_of("last_public_at", "last_status_at"),
    ).order_by("-last_update", "-pk")


def public_conversation(ticket: Ticket) -> QuerySet[Message]:
    """What the requester's side reads on the ticket page: public messages only, with their files."""
    return (
        Message.objects.filter(ticket=ticket, is_public=True)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )


def waiting_survey(ticket: Ticket) -> Survey | None:
    """The survey of this resolution while it waits for an answer (only a solved ticket has one)."""
    if ticket.status != Status.SOLVED:
        return None
    return (
        Survey.objects.filter(ticket=ticket, withdrawn_at__isnull=True, answered_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
