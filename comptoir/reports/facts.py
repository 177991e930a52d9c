"""A ticket's facts and its share of the daily rollups, replayed from its events.

One function, ``facts_compute``, serves both the live subscriber (one ticket) and
the rebuild (tickets by the batch): the two cannot drift apart. It reads nothing
itself; its callers read the rows (``events_of``, ``comments_of``) and hand them in.

Counting rules, so that a figure means one thing:
- a day is a day in the team's time zone (settings.TIME_ZONE);
- every figure is counted under the ticket's current group, assignee, type,
  priority, tags and requester's organisation (a ticket moved to another group moves
  its whole history there);
- "first reply" is the first public reply a person of the team wrote; a business
  rule's or a robot's reply, and the message a merge writes, are not the team answering
  (the rules of comptoir.sla.services.ticket_history);
- a resolution is a move to "solved"; a reopening is a move from "solved" back to an
  active status; "resolution time" runs from creation to the last resolution, and
  a reopened ticket has none until it is solved again;
- one-touch: solved with a single reply of the team, never reopened;
- a ticket marked as spam was never work: it counts nowhere, from its creation on;
- satisfaction: the latest answer counts (an answer changed from 2 to 5 is one good
  answer), on the day it was given; a resolution is "answered" once however often
  the answer changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings

from comptoir.sla.business_time import Schedule, business_time_between
from comptoir.tickets.dimensions import DIMENSIONS, dimensions_of
from comptoir.tickets.models import ACTIVE, EventKind, Status, Survey, Ticket, TicketEvent
from comptoir.tickets.models import written_by_the_team as by_the_team

# The events that change a figure; the subscriber listens to these (and to those that move the dimensions).
FACT_KINDS = (
    EventKind.CREATED,
    EventKind.STATUS,
    EventKind.REPLY,
    EventKind.SATISFACTION,
    EventKind.MERGED_INTO,
    EventKind.MERGED_FROM,
    EventKind.SPAM,
)
_MERGES = (EventKind.MERGED_INTO, EventKind.MERGED_FROM)
GOOD_RATINGS = (4, 5)

# (kind, old, new, at, change, automatic, message author role, message author id)
EventRow = tuple[str, str, str, datetime, UUID | None, bool, str | None, int | None]
Contributions = dict[str, dict[str, int]]


def team_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def team_day(instant: datetime) -> date:
    return instant.astimezone(team_zone()).date()


@dataclass
class Computed:
    """A TicketFacts row's fields, and what the ticket adds to each day's counts."""

    fields: dict[str, object]
    contributions: Contributions = field(default_factory=dict)

    def dimensions(self) -> tuple[object, ...]:
        return tuple(self.fields[name] for name in DIMENSIONS)

    def tags(self) -> list[int]:
        tags = self.fields["tags"]
        assert isinstance(tags, list)  # facts_compute puts the ids there
        return [int(tag) for tag in tags]


_EVENT_COLUMNS = (
    "ticket_id",
    "kind",
    "old_value",
    "new_value",
    "created_at",
    "change",
    "automatic",
    "message__author_role",
    "message__author_id",
)


def events_of(ticket_ids: Sequence[int]) -> dict[int, list[EventRow]]:
    """The events that count, of these tickets, in order: one query."""
    rows = (
        TicketEvent.objects.filter(ticket_id__in=ticket_ids, kind__in=FACT_KINDS)
        .order_by("ticket_id", "id")
        .values_list(*_EVENT_COLUMNS)
    )
    events: dict[int, list[EventRow]] = defaultdict(list)
    for ticket_id, *rest in rows:
        events[ticket_id].append(tuple(rest))  # the values_list above, in order
    return events


def change_events(change: UUID) -> tuple[int | None, list[EventRow]]:
    """The ticket a change is about and all its events (of every kind, in order): one query.

    The subscriber reads what the change did from these and replays the ticket's whole history
    only when they can move a figure (comptoir.reports.services.ticket_facts_refresh).
    """
    rows = TicketEvent.objects.filter(change=change).order_by("id").values_list(*_EVENT_COLUMNS)
    ticket_id: int | None = None
    events: list[EventRow] = []
    for row_ticket, *rest in rows:
        ticket_id = row_ticket
        events.append(tuple(rest))  # the values_list above, in order
    return ticket_id, events


def comments_of(ticket_ids: Sequence[int]) -> dict[int, str]:
    """The comment of each ticket's latest answered survey (the events keep the rating, not the words): one query."""
    rows = (
        Survey.objects.filter(ticket_id__in=ticket_ids, answered_at__isnull=False)
        .order_by("ticket_id", "answered_at", "id")
        .values_list("ticket_id", "comment")
    )
    return dict(rows)  # the last of each ticket wins


def facts_compute(
    ticket: Ticket,
    events: Iterable[EventRow],
    *,
    comment: str = "",
    tags: Sequence[int] = (),
    schedule: Callable[[Ticket], Schedule | None] = lambda _ticket: None,
) -> Computed:
    """Replay the ticket's events into its facts; ``schedule`` gives its business hours, if a policy has some.

    ``tags`` (ids) are the tags whose rollups the ticket's counts go to as well as to every ticket's.
    """
    events = list(events)
    if any(event[0] == EventKind.SPAM for event in events):
        return Computed(_spam_fields(ticket))
    counts: Contributions = defaultdict(lambda: defaultdict(int))

    def add(at: datetime, name: str) -> None:
        counts[team_day(at).isoformat()][name] += 1

    # The message a merge writes on each ticket tells of the merge: it answers nobody.
    merges = {event[4] for event in events if event[0] in _MERGES and event[4]}
    status = ""
    created_at: datetime = ticket.created_at
    first_reply_at: datetime | None = None
    solved_at: datetime | None = None
    replies = reopened = 0
    rating: int | None = None
    rated_at: datetime | None = None
    cycle_answered = False
    for kind, _old, new, at, change, automatic, role, author in events:
        if kind == EventKind.CREATED:
            created_at, status = at, new or Status.NEW
            add(at, "created")
            add(at, "entered")
        elif kind == EventKind.STATUS:
            was_active, now_active = status in ACTIVE, new in ACTIVE
            if new == Status.SOLVED:
                solved_at, cycle_answered = at, False
                add(at, "solved")
                add(at, "offered")
            elif status == Status.SOLVED and now_active:
                solved_at = None
                reopened += 1
                add(at, "reopened")
            if was_active and not now_active:
                add(at, "left")
            elif now_active and not was_active:
                add(at, "entered")
            status = new
        elif kind == EventKind.REPLY and not automatic and change not in merges:
            if role is not None and by_the_team(role, author):
                replies += 1
                if first_reply_at is None:
                    first_reply_at = at
        elif kind == EventKind.SATISFACTION:
            value = _rating(new)
            if value is None:
                continue
            rating, rated_at = value, at
            if not cycle_answered:
                cycle_answered = True
                add(at, "answered")
    if rated_at is not None and rating is not None:
        add(rated_at, "rated")
        if rating in GOOD_RATINGS:
            add(rated_at, "good")
    first_reply_business = None
    if first_reply_at is not None:
        hours = schedule(ticket)
        if hours is not None:
            first_reply_business = _seconds(business_time_between(hours, created_at, first_reply_at).total_seconds())
    fields: dict[str, object] = {
        **dimensions_of(ticket),
        "created_at": created_at,
        "first_reply_at": first_reply_at,
        "first_reply_seconds": _seconds((first_reply_at - created_at).total_seconds()) if first_reply_at else None,
        "first_reply_business_seconds": first_reply_business,
        "solved_at": solved_at,
        "resolution_seconds": _seconds((solved_at - created_at).total_seconds()) if solved_at else None,
        "replies": replies,
        "reopened": reopened,
        "one_touch": solved_at is not None and replies == 1 and reopened == 0,
        "is_open": status in ACTIVE,
        "rating": rating,
        "rated_at": rated_at,
        "comment": comment if rating is not None else "",
        "tags": sorted(tags),
    }
    return Computed(fields, {day: dict(names) for day, names in counts.items()})


def _spam_fields(ticket: Ticket) -> dict[str, object]:
    return {
        **dimensions_of(ticket),
        "created_at": ticket.created_at,
        "first_reply_at": None,
        "first_reply_seconds": None,
        "first_reply_business_seconds": None,
        "solved_at": None,
        "resolution_seconds": None,
        "replies": 0,
        "reopened": 0,
        "one_touch": False,
        "is_open": False,
        "rating": None,
        "rated_at": None,
        "comment": "",
        "tags": [],
    }


def _rating(value: str) -> int | None:
    # Recorded as "4/5" by comptoir.tickets.satisfaction.
    head = value.partition("/")[0]
    return int(head) if head.isdigit() and 1 <= int(head) <= 5 else None


def _seconds(value: float) -> int:
    return max(0, int(value))
