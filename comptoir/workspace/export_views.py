"""The workspace's list as a CSV file: every ticket it holds, all pages, with the ticket fields' values.

The list is read by its own code (comptoir.workspace.listing): the same view,
saved view, search and filters, so the file holds exactly the tickets the list
pages through, in its order. (A list sorted by relevance pages through its best
500 only; the file holds every ticket matching, newest update first.) When no
ticket holds the words sought and the list shows look-alikes instead
(PostgreSQL), the file holds those.

The file is streamed: the tickets are read by keyset, a batch at a time, each
batch three queries whatever its size (the tickets with their requester,
organisation, assignee and group; their tags; their fields' values), so a long
list never sits in the web process's memory. Past EXPORT_MAX tickets the export
is refused before it starts, with the reason, rather than cut short: a file that
silently stops is a wrong report.

One column per ticket field still asked (an archived field is left out, its values
kept on the tickets). Cells are what the agent reads on the page (labels in their language, a
multiple choice joined, a checkbox yes or no), dates as ISO 8601, and any cell
a spreadsheet would run as a formula is neutralised. UTF-8 with a byte order
mark, so that Excel reads accents.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET

from comptoir.accounts.models import User
from comptoir.core.ratelimit import hit_window
from comptoir.ticketforms import validation
from comptoir.ticketforms.models import FieldKind, TicketField
from comptoir.ticketforms.selectors import values_by_ticket
from comptoir.ticketforms.validation import JsonValue
from comptoir.tickets import search_index
from comptoir.tickets.models import REFERENCE_OFFSET, Priority, Status, SupportGroup, Ticket, TicketType
from comptoir.tickets.search import lookalike_search, sought_terms
from comptoir.workspace import selectors
from comptoir.workspace.access import agent_required, current_agent
from comptoir.workspace.listing import Listing, listing, listing_order, saved_view_named
from comptoir.workspace.models import views_for
from comptoir.workspace.paging import RowBeyond

# Tickets read per query while the file is written.
BATCH_SIZE = 1_000
# The longest list exported. Written at 2,400 to 3,400 tickets a second on the 2-core machine under a load of
# 10 (50,000 tickets on PostgreSQL, 5 times the bare SQL's time): under a minute, within what a proxy waits.
EXPORT_MAX = 100_000
# The order a list sorted by relevance is exported in (no keyset reads a score).
NEWEST_UPDATE_FIRST = ("-updated_at", "-id")
# A cell starting with one of these is a formula to a spreadsheet (=HYPERLINK(...), +cmd|...): OWASP's list.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain negative number is no formula: left as it is, so that the spreadsheet reads a number.
_PLAIN_NUMBER = re.compile(r"-\d+(?:[.,]\d+)?")


@require_GET
@agent_required
def ticket_export(request: HttpRequest) -> HttpResponse:
    """GET (a read): the list of the same address (?view=, ?saved=, ?q=, filters, sort) as a CSV file."""
    agent = current_agent(request)
    params = _list_params(request, agent)
    # Counted once the address is known good (a saved view the agent sees): a 404 uses up nothing.
    window = hit_window(
        "agent-export",
        str(agent.pk),
        limit=settings.COMPTOIR_RATE_LIMIT_EXPORTS_PER_AGENT,
        window_seconds=settings.COMPTOIR_RATE_LIMIT_WINDOW_SECONDS,
    )
    if not window.allowed:
        minutes = -(-window.seconds_left() // 60)
        messages.error(
            request,
            ngettext(
                "You have exported many lists in a short time: try again in %(minutes)s minute.",
                "You have exported many lists in a short time: try again in %(minutes)s minutes.",
                minutes,
            )
            % {"minutes": minutes},
        )
        return _back_to_the_list(request)
    agents = list(selectors.agents())
    groups = list(SupportGroup.objects.all())
    listed = listing(params, agent, agents=agents, groups=groups)
    rows, order = exported_rows(listed, agent)
    if rows.order_by().values("pk")[: EXPORT_MAX + 1].count() > EXPORT_MAX:
        messages.error(
            request,
            gettext(
                "This list holds more than %(limit)s tickets, too many for one file: narrow it with a search or "
                "filters (a period, created>2026-01-01, a status, a group), then export again."
            )
            % {"limit": number_format(EXPORT_MAX, force_grouping=True)},
        )
        return _back_to_the_list(request)
    ticket_fields = list(TicketField.objects.filter(archived=False).order_by("key"))
    language = translation.get_language() or "en"
    zone = timezone.get_current_timezone()
    # agent_required types its views as returning an HttpResponse; a streamed one is its sibling, not its kind.
    response: HttpResponse = StreamingHttpResponse(  # type: ignore[assignment]
        _csv_lines(rows, order, ticket_fields, language=language, zone=zone),
        content_type="text/csv; charset=utf-8",
    )
    today = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="tickets-{today}.csv"'
    # Tickets are personal data: no shared cache keeps the file.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _list_params(request: HttpRequest, agent: User) -> QueryDict:
    """The list's parameters: a saved view's (?saved=12, one this agent sees, else a 404), else the address's."""
    key = request.GET.get("saved", "")
    return QueryDict(saved_view_named(key, views_for(agent)).params) if key else request.GET


def _back_to_the_list(request: HttpRequest) -> HttpResponse:
    address = request.GET.urlencode()
    return redirect(reverse("agent_tickets") + (f"?{address}" if address else ""))


def exported_rows(listed: Listing, agent: User) -> tuple[QuerySet[Ticket], tuple[str, ...]]:
    """The tickets the list holds (its look-alikes when it shows them), bare, and the order it lists them in."""
    condition = listed.search.condition
    rows = selectors.ticket_matches(listed.view_key, agent, listed.filters.queryset_filters(), condition)
    if sought_terms(listed.query) and not rows.exists():
        # As the list does: no ticket holds the words sought, so it shows those that look like them.
        alike = lookalike_search(listed.query, agent)
        if alike is not None:
            search_index.typo_threshold_set()
            rows = selectors.ticket_matches(listed.view_key, agent, listed.filters.queryset_filters(), alike.condition)
    return rows, listing_order(listed) or NEWEST_UPDATE_FIRST


def neutralised(cell: str) -> str:
    """A cell a spreadsheet reads as text: one starting as a formula does is prefixed with an apostrophe."""
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return f"'{cell}"
    return cell


class _Line:
    """What csv.writer writes to: it hands the line back instead of keeping it."""

    def write(self, line: str) -> str:
        return line


# What the file reads of a ticket, as one row of the batch's query: no model is built per ticket
# (building a ticket, its requester, assignee, group and organisation took most of the time).
_COLUMNS = (
    "pk",
    "subject",
    "status",
    "priority",
    "type",
    "group__name",
    "assignee_id",
    "assignee__name",
    "assignee__email",
    "assignee__is_active",
    "requester_id",
    "requester__name",
    "requester__email",
    "requester__is_active",
    "requester__organisation__name",
    "created_at",
    "updated_at",
    "solved_at",
)


def batches(rows: QuerySet[Ticket], order: Sequence[str], size: int) -> Iterator[list[tuple[Any, ...]]]:
    """``rows`` as tuples of _COLUMNS, ``size`` at a time in ``order``, by keyset: one query a batch at any depth.

    Each batch starts after the last row of the one before (``(updated_at, id) < (…)``, an index range, as
    the list's pages do: comptoir.workspace.paging), and reads one row more to know whether another follows.
    """
    names = [name.lstrip("-") for name in order]
    descending = order[0].startswith("-")
    # The sort key rides at the end of each row, for the next batch's start.
    read = rows.values_list(*_COLUMNS, *names).order_by(*order)
    boundary: Sequence[Any] | None = None
    while True:
        batch = read if boundary is None else read.filter(RowBeyond(names, boundary, greater=not descending))
        found = list(batch[: size + 1])
        if found[:size]:
            yield found[:size]
        if len(found) <= size:
            return
        boundary = found[size - 1][len(_COLUMNS) :]


def _csv_lines(
    rows: QuerySet[Ticket], order: Sequence[str], ticket_fields: list[TicketField], *, language: str, zone: tzinfo
) -> Iterator[bytes]:
    """The file, a batch of tickets at a time: the byte order mark and the headings first.

    Three queries a batch: the tickets (with their people, group and organisation), their tags, their
    fields' values.
    """
    # Written while the response is sent, after the view returned: in the agent's language and time zone still.
    with translation.override(language), timezone.override(zone):
        writer = csv.writer(_Line())
        texts = [_field_text(field) for field in ticket_fields]
        headings = [*_headings(), *(field.label for field in ticket_fields)]
        yield ("\ufeff" + writer.writerow([neutralised(heading) for heading in headings])).encode()
        cells = _Cells()
        for batch in batches(rows, order, BATCH_SIZE):
            ids = [row[0] for row in batch]
            tags = _tags_by_ticket(ids)
            values = values_by_ticket(ids, [field.pk for field in ticket_fields]) if ticket_fields else {}
            lines = []
            for row in batch:
                held = values.get(row[0], {})
                line = [
                    *cells.of(row, tags.get(row[0], [])),
                    *(text(held.get(field.pk)) for field, text in zip(ticket_fields, texts, strict=True)),
                ]
                lines.append(writer.writerow([neutralised(cell) for cell in line]))
            yield "".join(lines).encode()


def _tags_by_ticket(ticket_ids: list[int]) -> dict[int, list[str]]:
    """The tickets' tag names by ticket id, sorted: one query."""
    tagged: dict[int, list[str]] = defaultdict(list)
    rows = Ticket.tags.through.objects.filter(ticket_id__in=ticket_ids).order_by("tag__name")
    for ticket_id, name in rows.values_list("ticket_id", "tag__name"):
        tagged[ticket_id].append(name)
    return tagged


def _headings() -> list[str]:
    return [
        gettext("Ticket number"),
        gettext("Subject"),
        gettext("Status"),
        gettext("Priority"),
        gettext("Type"),
        gettext("Group"),
        gettext("Assignee"),
        gettext("Requester"),
        gettext("Requester's e-mail address"),
        gettext("Organisation"),
        gettext("Tags"),
        gettext("Created"),
        gettext("Last update"),
        gettext("Solved"),
    ]


class _Cells:
    """A ticket's own cells from its row, each label translated and each person named once for the whole file."""

    def __init__(self) -> None:
        self.statuses = {value: str(label) for value, label in Status.choices}
        self.priorities = {value: str(label) for value, label in Priority.choices}
        self.types = {value: str(label) for value, label in TicketType.choices}
        # Names as the page writes them (User.get_full_name: an erased requester is said to be one), by id.
        self.names: dict[int, str] = {}

    def person(self, pk: int | None, name: str | None, email: str | None, active: bool | None) -> str:
        if pk is None:
            return ""
        if pk not in self.names:
            self.names[pk] = User(pk=pk, name=name or "", email=email or "", is_active=bool(active)).get_full_name()
        return self.names[pk]

    def of(self, row: tuple[Any, ...], tags: list[str]) -> list[str]:
        """The cells of a row of _COLUMNS (the sort key after them left out)."""
        (pk, subject, status, priority, kind, group, *assignee), requester = row[:10], row[10:14]
        organisation, created_at, updated_at, solved_at = row[14:18]
        return [
            str(pk + REFERENCE_OFFSET),
            subject,
            self.statuses.get(status, status),
            self.priorities.get(priority, priority),
            self.types.get(kind, kind),
            group or "",
            self.person(*assignee),
            self.person(*requester),
            requester[2] or "",
            organisation or "",
            ", ".join(tags),
            _moment(created_at),
            _moment(updated_at),
            _moment(solved_at),
        ]


def _moment(value: datetime | None) -> str:
    """ISO 8601 to the second, in the time zone the workspace shows, its offset written."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value is not None else ""


def _field_text(field: TicketField) -> Callable[[JsonValue | None], str]:
    """How a field's value reads in a cell, as on the ticket page; the labels looked up once per file."""
    if field.kind == FieldKind.CHECKBOX:
        # An unticked box holds no value: it reads "No", as the search reads it (field:<key>=no).
        yes, no = gettext("Yes"), gettext("No")
        return lambda value: yes if value else no
    if field.kind == FieldKind.DATE:
        # Kept as YYYY-MM-DD: what a spreadsheet sorts and reads as a date in any language.
        return lambda value: str(value) if value is not None else ""
    if field.kind in (FieldKind.DROPDOWN, FieldKind.MULTI_SELECT):
        labels = dict(field.choice_pairs())

        def chosen(value: JsonValue | None) -> str:
            if value is None:
                return ""
            picked = value if isinstance(value, list) else [str(value)]
            return ", ".join(labels.get(item, item) for item in picked)

        return chosen
    return lambda value: validation.shown(field, value)
