"""The one writer of ticket history, and the hand-over to the event backbone.

Every write service records what it changed as events of one *change*: the
events one write made on one ticket, in the same transaction. The change is
what the backbone hands to subscribers (notifications today; SLA clocks, rules,
webhooks and reports next), so a subscriber sees an agent's "reply and solve"
as one thing, not as a reply followed by an unrelated status change.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from comptoir.accounts.models import User
from comptoir.events.dispatch import announce, announce_many
from comptoir.events.models import EventDelivery
from comptoir.tickets.models import Message, Ticket, TicketEvent


@dataclass
class Change:
    """What one write does to one ticket; make one with ``change_begin`` inside the write's transaction."""

    ticket_id: int
    actor: User | None
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    # Subscribers already owed this change (see comptoir.events.dispatch.announce).
    announced: set[str] = field(default_factory=set)

    def record(
        self,
        kind: str,
        *,
        old: str = "",
        new: str = "",
        message: Message | None = None,
        automatic: bool = False,
        quiet: bool = False,
    ) -> TicketEvent:
        event = TicketEvent.objects.create(
            ticket_id=self.ticket_id,
            actor=self.actor,
            kind=kind,
            old_value=old[:100],
            new_value=new[:100],
            change=self.id,
            message=message,
            automatic=automatic,
            quiet=quiet,
        )
        announce(ticket_id=self.ticket_id, change=self.id, kinds=(kind,), announced=self.announced)
        return event


class ChangeBatch:
    """Changes of many tickets by one actor, written together: a bulk action's history.

    ``record`` keeps each event in memory, one change per ticket; ``write``
    inserts them all and owes them to the subscribers in two statements,
    whatever the number of tickets. Call it inside the write's transaction.
    """

    def __init__(self, *, actor: User | None) -> None:
        self.actor = actor
        self._changes: dict[int, uuid.UUID] = {}
        self._events: list[TicketEvent] = []

    def record(
        self, ticket_id: int, kind: str, *, old: str = "", new: str = "", message: Message | None = None
    ) -> None:
        change = self._changes.setdefault(ticket_id, uuid.uuid4())
        self._events.append(
            TicketEvent(
                ticket_id=ticket_id,
                actor=self.actor,
                kind=kind,
                old_value=old[:100],
                new_value=new[:100],
                change=change,
                message=message,
            )
        )

    def write(self) -> None:
        if not self._events:
            return
        TicketEvent.objects.bulk_create(self._events)
        kinds: dict[uuid.UUID, set[str]] = {}
        for event in self._events:
            kinds.setdefault(event.change, set()).add(event.kind)  # type: ignore[arg-type]  # set above
        announce_many([(ticket_id, change, kinds[change]) for ticket_id, change in self._changes.items()])
        # Written: a later record() starts new changes, never owes these twice.
        self._events, self._changes = [], {}


def change_begin(ticket: Ticket, *, actor: User | None) -> Change:
    return Change(ticket_id=ticket.pk, actor=actor)


def change_continue(ticket_id: int, change: uuid.UUID, *, actor: User | None) -> Change:
    """More events of a change this transaction recorded already (a rule's e-mails after its other actions).

    The subscribers it is owed to already are not owed it twice (one query reads them).
    """
    announced = set(EventDelivery.objects.filter(change=change).values_list("subscriber", flat=True))
    return Change(ticket_id=ticket_id, actor=actor, id=change, announced=announced)


def event_record(ticket: Ticket, *, actor: User | None, kind: str, old: str = "", new: str = "") -> TicketEvent:
    """A change of one event."""
    return change_begin(ticket, actor=actor).record(kind, old=old, new=new)


def events_record_on_each(ticket_ids: Iterable[int], *, actor: User | None, kind: str) -> None:
    """The same event on many tickets, each its own change (erasure touches every ticket of a person)."""
    for ticket_id in ticket_ids:
        Change(ticket_id=ticket_id, actor=actor).record(kind)


def events_replace_value(*, kinds: Collection[str], old: str, new: str) -> int:
    """History that names ``old`` (any case) names ``new`` instead: erasure keeps the history, not the address."""
    events = TicketEvent.objects.filter(kind__in=kinds)
    replaced = events.filter(new_value__iexact=old).update(new_value=new[:100])
    return replaced + events.filter(old_value__iexact=old).update(old_value=new[:100])


def change_events(change: uuid.UUID) -> list[TicketEvent]:
    """The events of one change, in the order they were recorded, with what subscribers read of them."""
    return list(
        TicketEvent.objects.filter(change=change)
        .select_related("ticket", "ticket__requester", "ticket__assignee", "actor", "message")
        .order_by("id")
    )
