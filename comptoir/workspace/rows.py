"""The agent list's rows as the page shows them, worked out in Python once per page.

Django's template engine resolves each ``{{ }}`` and filter at a cost that adds
up over 25 rows (dates formatted twice, choice labels translated, a URL
reversed): the template would take longer than the queries at a million
tickets. Here each label is translated once per page, each date formatted
once, and the template only writes the values (escaping them as ever).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from comptoir.sla.states import running_state
from comptoir.tickets.models import AuthorRole, Priority, Status
from comptoir.workspace import date_labels
from comptoir.workspace.selectors import TicketRow


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
    # "2 h ago" in the list, the exact time on hover (updated_label).
    updated_ago: str
    updated_label: str
    rating: int | None
    requester_spoke_last: bool
    tags: tuple[str, ...] = ()
    # Where a search's words are in the ticket's newest message holding them: escaped, matches in <mark>.
    excerpt: str = ""
    # The service-level badge (sla_badge): "" without a clock, else ok, warning, breached or paused.
    sla_state: str = ""
    sla_text: str = ""
    sla_due_at: datetime | None = None
    sla_due_label: str = ""


@dataclass(frozen=True)
class SlaBadge:
    state: str
    text: str


def _span(seconds: float) -> str:
    """A duration as an agent reads it at a glance: "35 min", "2 h 10", "3 d"."""
    minutes = max(int(seconds // 60), 0)
    if minutes < 60:
        return ngettext("%(count)s min", "%(count)s min", minutes) % {"count": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return gettext("%(hours)s h %(minutes)02d") % {"hours": hours, "minutes": rest}
    days = hours // 24
    return ngettext("%(count)s d", "%(count)s d", days) % {"count": days}


def sla_badge(
    *, due_at: datetime, warn_at: datetime | None, breached_at: datetime | None, paused: bool, now: datetime
) -> SlaBadge:
    """The badge of a ticket's next due clock: the colour's class and words saying the same, for who cannot see it."""
    state = running_state(due_at=due_at, warn_at=warn_at, breached_at=breached_at, paused=paused, now=now)
    if state == "breached":
        return SlaBadge(state, gettext("overdue %(span)s") % {"span": _span((now - due_at).total_seconds())})
    if state == "paused":
        return SlaBadge(state, gettext("paused"))
    left = _span((due_at - now).total_seconds())
    if state == "warning":
        return SlaBadge(state, gettext("due soon: %(span)s left") % {"span": left})
    return SlaBadge(state, gettext("%(span)s left") % {"span": left})


def time_ago(moment: datetime, now: datetime) -> str:
    """How long ago, as an agent scans a list: "just now", "12 min ago", "3 h ago", "5 d ago", else the date."""
    seconds = max((now - moment).total_seconds(), 0)
    if seconds < 60:
        return gettext("just now")
    minutes = int(seconds // 60)
    if minutes < 60:
        return ngettext("%(count)s min ago", "%(count)s min ago", minutes) % {"count": minutes}
    hours = minutes // 60
    if hours < 24:
        return ngettext("%(count)s h ago", "%(count)s h ago", hours) % {"count": hours}
    days = hours // 24
    if days < 7:
        return ngettext("%(count)s d ago", "%(count)s d ago", days) % {"count": days}
    return date_labels.writer("SHORT_DATE_FORMAT")(timezone.localtime(moment))


def list_rows(tickets: Iterable[TicketRow], excerpts: dict[int, str] | None = None) -> list[ListRow]:
    """A row per ticket of ``comptoir.workspace.listing.listing_page`` (a ``selectors.TicketRow``).

    ``excerpts``: safe HTML by ticket id, from ``comptoir.workspace.search.search_excerpts``.
    """
    excerpts = excerpts or {}
    now = timezone.now()
    statuses = {value: str(label) for value, label in Status.choices}
    priorities = {value: str(label) for value, label in Priority.choices}
    # Read once a page, not once a row: the date writer of the language, the ticket page's address.
    short_datetime = date_labels.writer("SHORT_DATETIME_FORMAT")
    url_start, url_end = _ticket_url_parts()
    rows = []
    for ticket in tickets:
        updated_at = timezone.localtime(ticket.updated_at)
        assignee = ticket.assignee
        due_at = ticket.clock_due_at
        badge = None
        if due_at is not None:
            badge = sla_badge(
                due_at=due_at,
                warn_at=ticket.clock_warn_at,
                breached_at=ticket.clock_breached_at,
                paused=ticket.clock_paused_since is not None,
                now=now,
            )
        reference = ticket.reference
        rows.append(
            ListRow(
                reference=reference,
                url=f"{url_start}{reference}{url_end}",
                subject=ticket.subject,
                group=ticket.group_name,
                requester=ticket.requester.get_full_name(),
                status=ticket.status,
                status_label=statuses.get(ticket.status, ticket.status),
                priority=ticket.priority,
                priority_label=priorities.get(ticket.priority, ticket.priority),
                assignee=assignee.get_short_name() if assignee is not None else "",
                updated_at=updated_at,
                updated_ago=time_ago(updated_at, now),
                updated_label=short_datetime(updated_at),
                rating=ticket.satisfaction_rating,
                requester_spoke_last=ticket.last_public_role == AuthorRole.REQUESTER,
                tags=ticket.tags,
                excerpt=excerpts.get(ticket.pk, ""),
                sla_state=badge.state if badge else "",
                sla_text=badge.text if badge else "",
                sla_due_at=due_at,
                sla_due_label=short_datetime(timezone.localtime(due_at)) if due_at else "",
            )
        )
    return rows


def _ticket_url_parts() -> tuple[str, str]:
    """The ticket page's address around its number (``/en/agent/tickets/``, ``/``): reversed once, not per row."""
    probe = 7
    start, _number, end = reverse("agent_ticket", args=[probe]).rpartition(str(probe))
    return start, end


def _tag_link(tag: str) -> str:
    """A tag, linked to a search of it (URL-encoded as the template's ``urlencode`` filter wrote it)."""
    return f'<a class="tag tag-label" href="?view=all&amp;q=tag:{escape(quote(tag, safe="/"))}">{escape(tag)}</a>'


def rows_html(rows: Sequence[ListRow]) -> SafeString:
    """The list's table rows (``<tr>``), written in one pass with every value escaped.

    The same markup the template wrote, at a fraction of its cost: a template
    resolves, escapes and renders some forty nodes a row, a thousand a page.
    Each value here goes through ``escape`` (as ``{{ }}`` would) but the
    excerpt, already safe HTML (comptoir.workspace.search.search_excerpts).
    """
    spoke_last = escape(gettext("Requester spoke last"))
    nobody = escape(gettext("Nobody"))
    select = gettext("Select #%(reference)s")
    due = gettext("Due %(due)s")
    out_of_five = gettext("%(rating)s/5")
    written = []
    for row in rows:
        reference = row.reference
        subject_extras = []
        if row.requester_spoke_last:
            subject_extras.append(f' <span class="tag tag-waiting">{spoke_last}</span>')
        if row.group:
            subject_extras.append(f' <span class="muted small">{escape(row.group)}</span>')
        if row.tags:
            subject_extras.append(" " + "".join(_tag_link(tag) for tag in row.tags))
        if row.excerpt:
            subject_extras.append(f' <p class="excerpt small">{row.excerpt}</p>')
        clock = ""
        if row.sla_state and row.sla_due_at is not None:
            clock = (
                f' <time class="sla sla-{escape(row.sla_state)}" datetime="{escape(row.sla_due_at.isoformat())}"'
                f' title="{escape(due % {"due": row.sla_due_label})}">{escape(row.sla_text)}</time>'
            )
        assignee = escape(row.assignee) if row.assignee else f'<span class="muted">{nobody}</span>'
        rating = (
            f'<span class="rating">{escape(out_of_five % {"rating": row.rating})}</span>'
            if row.rating
            else '<span class="muted">—</span>'
        )
        written.append(
            "<tr>"
            f'<td class="select-cell"><input type="checkbox" name="tickets" value="{reference}" form="bulk-form"'
            f' data-bulk-row aria-label="{escape(select % {"reference": reference})}"></td>'
            f'<td class="subject-cell"><a href="{escape(row.url)}"><span class="ref">#{reference}</span>'
            f" {escape(row.subject)}</a>{''.join(subject_extras)}</td>"
            f"<td>{escape(row.requester)}</td>"
            f'<td><span class="badge badge-{escape(row.status)}">{escape(row.status_label)}</span>{clock}</td>'
            f'<td><span class="priority priority-{escape(row.priority)}">{escape(row.priority_label)}</span></td>'
            f"<td>{assignee}</td>"
            f'<td><time datetime="{escape(row.updated_at.isoformat())}" title="{escape(row.updated_label)}">'
            f"{escape(row.updated_ago)}</time></td>"
            f"<td>{rating}</td>"
            "</tr>\n"
        )
    # Every value above is escaped, or safe HTML already (the excerpt).
    return SafeString("".join(written))
