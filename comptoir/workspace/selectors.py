"""Read-side queries of the agent workspace; each page runs a fixed number of them."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.http import Http404
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Organisation, Role, User
from comptoir.mail.models import InboundEmail, InboundStatus, OutboundEmail, OutboundStatus
from comptoir.sla.models import OPEN, TicketSla
from comptoir.ticketforms.models import FieldValue, TicketField
from comptoir.tickets.models import REFERENCE_OFFSET, Attachment, Message, Status, Tag, Ticket, TicketCC
from comptoir.tickets.statuses import ACTIVE_STATUSES

# The e-mails about a ticket the ticket page lists as not delivered.
DELIVERY_PROBLEMS = (OutboundStatus.FAILED, OutboundStatus.BOUNCED, OutboundStatus.SUPPRESSED)

# Rows per page of the workspace's lists (tickets, quarantine).
PAGE_SIZE = 25


@dataclass(frozen=True)
class TicketView:
    key: str
    label: str | Promise


VIEWS = (
    TicketView("mine", _("My unsolved tickets")),
    TicketView("unassigned", _("Unassigned")),
    TicketView("open", _("All open")),
    TicketView("pending", _("Pending")),
    TicketView("on_hold", _("On hold")),
    TicketView("solved", _("Solved")),
    TicketView("all", _("All tickets")),
    TicketView("spam", _("Spam")),
    # The tickets with a service-level clock counting, due first (late ones at the top): sorted "due".
    TicketView("breaching", _("Breaching soon")),
)
VIEW_KEYS = {view.key for view in VIEWS}


def view_filter(key: str, agent: User) -> Q:
    # "among", not "in": the same literal IN as the views' partial indexes (comptoir/tickets/models.py),
    # which SQLite uses only when it can read the values (comptoir/tickets/lookups.py).
    active = Q(status__among=ACTIVE_STATUSES)
    return {
        "unassigned": active & Q(assignee__isnull=True),
        "mine": active & Q(assignee=agent),
        "open": Q(status__among=(Status.NEW, Status.OPEN)),
        "pending": Q(status=Status.PENDING),
        "on_hold": Q(status=Status.ON_HOLD),
        "solved": Q(status=Status.SOLVED),
        # Spam is closed, so out of every view of active tickets already; "all" leaves it out too.
        "all": Q(spam=False),
        "spam": Q(spam=True),
        # Ticket.sla_due_at is set only while a clock counts; its partial index serves the view's order.
        "breaching": active & Q(sla_due_at__isnull=False),
    }[key]


# Counting every row of a big view reads every row (a scan of the table at a
# million tickets): past this many, a count says "1,000+", read from an index
# in a fraction of a millisecond. A view that long is a flood either way.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class Tally:
    """A count, exact up to COUNT_CAP."""

    value: int

    @property
    def more(self) -> bool:
        return self.value > COUNT_CAP

    def __str__(self) -> str:
        shown = number_format(min(self.value, COUNT_CAP), force_grouping=True)
        return f"{shown}+" if self.more else shown


@dataclass(frozen=True)
class Counts:
    quarantined: Tally
    # The rows of the list shown, its filters applied (the quarantine's when there is no list).
    listed: Tally
    # The agent's saved views, the team's built-in ones among them, in the order given.
    saved: list[Tally]


# A count as SQL: a scalar subquery and its parameters (capped_count).
CountSql = tuple[str, tuple[Any, ...]]


def capped_count(rows: QuerySet[Any]) -> CountSql:
    """SQL counting at most COUNT_CAP + 1 of the rows: an index serves it without reading the rest."""
    limited = rows.order_by().values("pk")[: COUNT_CAP + 1]
    sql, params = limited.query.get_compiler(using=limited.db).as_sql()
    # Django compiled ``sql`` and keeps the values apart, in ``params``: nothing typed is pasted in.
    return f"(SELECT COUNT(*) FROM ({sql}) capped)", tuple(params)  # noqa: S608


def workspace_counts(
    listed: QuerySet[Ticket] | CountSql | None = None, saved: Sequence[QuerySet[Ticket] | CountSql] = ()
) -> Counts:
    """The quarantine's count, the list's own (if any) and every saved view's, in one query.

    The list and a saved view may come as its count's SQL already compiled (``capped_count``; the list page keeps them,
    comptoir.workspace.listing.matches_count): compiling a view costs more Python than counting it costs SQL.
    """
    quarantined = InboundEmail.objects.filter(status=InboundStatus.QUARANTINED)
    # Without a list, the quarantine stands in its place: the same SQL shape, and its tally is not shown.
    counted: list[QuerySet[Any] | CountSql] = [quarantined, listed if listed is not None else quarantined, *saved]
    pieces = [rows if isinstance(rows, tuple) else capped_count(rows) for rows in counted]
    with connections[quarantined.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(sql for sql, _ in pieces), [p for _, params in pieces for p in params])
        row = cursor.fetchone()
    tallies = [Tally(int(value)) for value in row]
    return Counts(quarantined=tallies[0], listed=tallies[1], saved=tallies[2:])


# Each ordering goes one way on every column, as an index is read (comptoir.workspace.paging).
SORTS = {
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-priority": ("-priority_rank", "-updated_at", "-id"),
    # Only the "breaching" view, whose rows all have a due time (a keyset cannot step over nulls).
    "due": ("sla_due_at", "id"),
}
# The order a view takes when the address names no sort.
VIEW_SORTS = {"breaching": "due"}


def ticket_rows(view_key: str, agent: User, filters: dict[str, object], searched: Q | None = None) -> QuerySet[Ticket]:
    """The list's rows, with who spoke last, for any view and filters; comptoir.workspace.paging orders and cuts them.

    "Who spoke last" is a subquery in the select list: read in index order with
    a LIMIT, the database computes it for the rows of the page only.
    """
    return (
        ticket_matches(view_key, agent, filters, searched)
        .select_related("requester", "assignee", "group")
        .prefetch_related("tags")
        .annotate(**_row_columns())
    )


@functools.cache
def _row_columns() -> dict[str, Subquery]:
    """The rows' computed columns, built once: each list page only resolves them (annotate copies what it resolves)."""
    last_public_role = (
        Message.objects.filter(ticket=OuterRef("pk"), is_public=True)
        .order_by("-created_at", "-id")
        .values("author_role")
    )
    return {"last_public_role": Subquery(last_public_role[:1]), **next_due_clock()}


# The columns of a list row (TicketRow), as a values_list names them.
ROW_COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "updated_at",
    "created_at",
    "priority_rank",
    "sla_due_at",
    "satisfaction_rating",
    "requester__name",
    "requester__email",
    "requester__is_active",
    "assignee_id",
    "assignee__name",
    "assignee__email",
    "assignee__is_active",
    "group__name",
    "last_public_role",
    "clock_due_at",
    "clock_warn_at",
    "clock_breached_at",
    "clock_paused_since",
    "tag_names",
)


class Person:
    """A requester or an assignee as a list row reads them: three columns, named by User's own rules."""

    __slots__ = ("email", "is_active", "name")

    def __init__(self, name: str, email: str, is_active: bool) -> None:
        self.name = name
        self.email = email
        self.is_active = is_active

    # User's own methods, which read nothing but these three (is_erased reads email and is_active): the same
    # name as on every other page, "Erased requester" included.
    is_erased = User.is_erased

    def get_full_name(self) -> str:
        return User.get_full_name(self)  # type: ignore[arg-type]

    def get_short_name(self) -> str:
        return User.get_short_name(self)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TicketRow:
    """A ticket as the list shows it: its columns, with the attributes a keyset cursor reads (paging.cursor_of)."""

    id: int
    subject: str
    status: str
    priority: str
    updated_at: datetime
    created_at: datetime
    priority_rank: int
    sla_due_at: datetime | None
    satisfaction_rating: int | None
    requester: Person
    assignee: Person | None
    group_name: str
    last_public_role: str | None
    clock_due_at: datetime | None
    clock_warn_at: datetime | None
    clock_breached_at: datetime | None
    clock_paused_since: datetime | None
    # In name order.
    tags: tuple[str, ...]

    @property
    def pk(self) -> int:
        return self.id

    @property
    def reference(self) -> int:
        return self.id + REFERENCE_OFFSET


class TagNames(Subquery):
    """The ticket's tag names in one column, in name order: an array on PostgreSQL, a JSON array elsewhere.

    What a prefetch of the tags read in a query of its own (and a model instance per tag).
    """

    def __init__(self) -> None:
        names = Tag.objects.filter(tickets=OuterRef("pk")).order_by("name").values("name")
        super().__init__(names, output_field=TextField())

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = super().as_sql(compiler, connection)
        # Django compiled ``sql`` and keeps the values apart, in ``params``: nothing typed is pasted in.
        return f"(SELECT json_group_array(name) FROM {sql})", list(params)  # noqa: S608

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = super().as_sql(compiler, connection)
        return f"ARRAY{sql}", list(params)


def _tag_names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        # SQLite's JSON array: in the order the rows came, which SQLite does not promise; BINARY order, which
        # its ORDER BY name is, is code point order.
        return tuple(sorted(json.loads(value)))
    return tuple(value)


def row_values(tickets: QuerySet[Ticket]) -> QuerySet[Any]:
    """``tickets`` as the list's rows read them (TicketRow's columns; ``ticket_row`` makes each a TicketRow)."""
    return tickets.annotate(**_row_columns(), tag_names=TagNames()).values_list(*ROW_COLUMNS)


def ticket_row(values: Sequence[Any]) -> TicketRow:
    """A row of ``row_values`` (its columns in ROW_COLUMNS's order) as a TicketRow."""
    (
        pk,
        subject,
        status,
        priority,
        updated_at,
        created_at,
        priority_rank,
        sla_due_at,
        rating,
        requester_name,
        requester_email,
        requester_active,
        assignee_id,
        assignee_name,
        assignee_email,
        assignee_active,
        group_name,
        last_public_role,
        clock_due_at,
        clock_warn_at,
        clock_breached_at,
        clock_paused_since,
        tag_names,
    ) = values
    return TicketRow(
        id=pk,
        subject=subject,
        status=status,
        priority=priority,
        updated_at=updated_at,
        created_at=created_at,
        priority_rank=priority_rank,
        sla_due_at=sla_due_at,
        satisfaction_rating=rating,
        requester=Person(requester_name, requester_email, requester_active),
        assignee=Person(assignee_name, assignee_email, assignee_active) if assignee_id is not None else None,
        group_name=group_name or "",
        last_public_role=last_public_role,
        clock_due_at=clock_due_at,
        clock_warn_at=clock_warn_at,
        clock_breached_at=clock_breached_at,
        clock_paused_since=clock_paused_since,
        tags=_tag_names(tag_names),
    )


def ticket_matches(
    view_key: str, agent: User, filters: dict[str, object], searched: Q | None = None
) -> QuerySet[Ticket]:
    """The tickets of a view and filters, bare: what a count needs (building the rows' columns costs a page time)."""
    return (
        Ticket.objects.filter(view_filter(view_key, agent))
        .filter(**{name: value for name, value in filters.items() if value is not None})
        .filter(searched or Q())
    )


def next_due_clock() -> dict[str, Subquery]:
    """The service-level badge's clock as subqueries of the rows' query: the list costs no query more.

    The same clock as ``comptoir.sla.selectors.next_due_targets``: the running
    clock due first, else the paused one due first. Each subquery reads the
    clocks of one ticket (a handful), for the rows of the page only.
    """
    shown = TicketSla.objects.filter(OPEN, ticket=OuterRef("pk")).order_by(
        Case(When(paused_since__isnull=True, then=Value(0)), default=Value(1)), "due_at", "pk"
    )
    return {
        f"clock_{column}": Subquery(shown.values(column)[:1])
        for column in ("due_at", "warn_at", "breached_at", "paused_since")
    }


def ticket_or_404(reference: int, *, counted: bool = False, viewer: User | None = None, panels: bool = False) -> Ticket:
    """The ticket (404 if none); ``counted``: with ``message_count`` and its tags, for the page that shows it;
    ``viewer``: with ``followed``, whether that agent follows it; ``panels``: with whether each of the ticket
    page's optional cards has anything to show (``panels_shown``). All in the same query."""
    # Not the ticket it follows up, nor the one it was merged into: the page links to them by number, from the ids
    # on the ticket's row. Those two more joins of the tickets table made PostgreSQL plan this statement for 4.4 ms
    # at every page (its execution: 0.15 ms); without them 1.4 ms, and 1 ms read by get() (bench/README.md).
    tickets = Ticket.objects.select_related("requester__organisation", "assignee", "group")
    if counted:
        tickets = tickets.annotate(message_count=message_count()).prefetch_related("tags")
        # The "Context" card's technical details (comptoir.ticketforms.models.TicketContext), in the same query.
        tickets = tickets.select_related("browser_context")
    if panels:
        tickets = tickets.annotate(**_panel_flags())
    if viewer is not None:
        following = Ticket.followers.through.objects.filter(ticket_id=OuterRef("pk"), user_id=viewer.pk)
        tickets = tickets.annotate(followed=Exists(following))
    # get(), not first(): one row by its key needs no ORDER BY (first() sorts by the model's ordering).
    try:
        return tickets.get(pk=Ticket.pk_from_reference(reference))
    except Ticket.DoesNotExist:
        raise Http404 from None


# What the ticket page's optional cards read, each skipped when its flag, a column of the ticket's own query,
# says it would find nothing: most tickets have no CC, no delivery problem and no clock, and a team without
# ticket fields has none to show. Each flag is an index lookup on one ticket's rows.
@dataclass(frozen=True)
class PanelsShown:
    clocks: bool  # comptoir.sla.selectors.ticket_targets: the "Service level" card
    ccs: bool  # the CCs of the "Requester" card
    delivery_problems: bool  # delivery_problems(): its "E-mails not delivered"
    fields: bool  # comptoir.ticketforms.selectors.agent_fields: the "Fields" card
    surveys: bool  # the answered surveys of the "Satisfaction" card


# Every card is read when the ticket was not loaded with its flags (ticket_or_404(panels=True)).
EVERY_PANEL = PanelsShown(clocks=True, ccs=True, delivery_problems=True, fields=True, surveys=True)


def _panel_flags() -> dict[str, Any]:
    ticket = OuterRef("pk")
    field_values = FieldValue.objects.filter(ticket_id=ticket)
    return {
        "has_clocks": Exists(TicketSla.objects.filter(ticket_id=ticket)),
        "has_ccs": Exists(TicketCC.objects.filter(ticket_id=ticket)),
        "has_delivery_problems": Exists(OutboundEmail.objects.filter(ticket_id=ticket, status__in=DELIVERY_PROBLEMS)),
        # What agent_fields lists: the fields not archived, and archived ones the ticket holds a value of.
        "has_fields": ExpressionWrapper(
            Q(Exists(TicketField.objects.filter(archived=False))) | Q(Exists(field_values)),
            output_field=BooleanField(),
        ),
    }


def panels_shown(ticket: Ticket) -> PanelsShown:
    """Which of the ticket page's optional cards have something to read (ticket_or_404(panels=True))."""
    if not hasattr(ticket, "has_clocks"):
        return EVERY_PANEL
    # Annotated by _panel_flags (has_clocks is known to mypy from the hasattr above).
    return PanelsShown(
        clocks=ticket.has_clocks,
        ccs=ticket.has_ccs,  # type: ignore[attr-defined]
        delivery_problems=ticket.has_delivery_problems,  # type: ignore[attr-defined]
        fields=ticket.has_fields,  # type: ignore[attr-defined]
        # Answering a survey sets the ticket's rating (comptoir.tickets.satisfaction.survey_answer, its only
        # write path), and nothing clears it: no rating, no answered survey.
        surveys=ticket.satisfaction_rating is not None,
    )


def agents() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=(Role.AGENT, Role.ADMIN)).order_by("name", "email")


# A long conversation opens on its first message and its latest ones, the rest one click
# away: 500 messages are a long scroll for the agent and a slow page for everyone.
CONVERSATION_SHOWN = 50


@dataclass(frozen=True)
class Conversation:
    messages: list[Message]
    # Messages left out between the first and the latest, shown with ?all=1.
    hidden: int


def conversation(ticket: Ticket, *, total: int, everything: bool = False) -> Conversation:
    """Every message, notes included (agents only): the first and the latest ones unless ``everything``.

    ``total``, the ticket's number of messages (``message_count()``), says how many were left out.
    """
    messages = Message.objects.filter(ticket=ticket)
    if not everything:
        on_ticket = Message.objects.filter(ticket=ticket).values("pk")
        latest = on_ticket.order_by("-created_at", "-id")[: CONVERSATION_SHOWN - 1]
        first = on_ticket.order_by("created_at", "id")[:1]
        messages = messages.filter(Q(pk__in=latest) | Q(pk__in=first))
    shown = list(
        messages.select_related("author").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
        )
    )
    return Conversation(shown, hidden=0 if everything else max(total - len(shown), 0))


def message_count() -> Subquery:
    """The number of messages of the ticket, as a column of the ticket's own query."""
    counted = Message.objects.filter(ticket=OuterRef("pk")).order_by().values("ticket").annotate(n=Count("pk"))
    return Subquery(counted.values("n"), output_field=IntegerField())


def organisation_names(typed: str, limit: int = 20) -> list[str]:
    """Names of the organisations starting with what was typed (any case), in order."""
    return list(
        Organisation.objects.filter(name__istartswith=typed).order_by("name").values_list("name", flat=True)[:limit]
    )


def people_starting(typed: str, limit: int = 10) -> list[User]:
    """People whose address starts with what was typed, or whose name does (any case), for picking a requester."""
    matching = Q(email__istartswith=typed) | Q(name__istartswith=typed)
    return list(User.objects.filter(matching, is_active=True).order_by("email").only("email", "name")[:limit])


def tag_names_starting(start: str, limit: int = 20) -> list[str]:
    """Names of the tags starting with ``start`` (a tag name, already normalised), in order."""
    return list(Tag.objects.filter(name__startswith=start).order_by("name").values_list("name", flat=True)[:limit])


def other_tickets(ticket: Ticket, limit: int = 10) -> QuerySet[Ticket]:
    return Ticket.objects.filter(requester_id=ticket.requester_id).exclude(pk=ticket.pk).order_by("-created_at")[:limit]


def delivery_problems(ticket: Ticket, limit: int = 10) -> QuerySet[OutboundEmail]:
    """E-mails about the ticket that failed, bounced or were held back, newest first."""
    return OutboundEmail.objects.filter(ticket=ticket, status__in=DELIVERY_PROBLEMS).order_by("-created_at")[:limit]
