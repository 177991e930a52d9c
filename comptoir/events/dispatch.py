"""The dispatcher: after commit, each subscriber gets each change, in order per ticket, at least once.

- ``announce`` runs inside the writing transaction: it owes the change to the
  interested subscribers (one EventDelivery row each) and, once that
  transaction commits, enqueues a Celery task for the ticket. A rollback
  takes the rows with it, so nothing is announced that did not happen.
- ``dispatch_ticket`` runs in a worker: for every subscriber with something
  owed on the ticket, it hands over the oldest change, then the next, and
  stops at the first failure, which waits for its retry: later changes never
  overtake an earlier one. Each hand-over runs in the transaction that marks
  the row done, so a subscriber whose effects are database writes (queued
  e-mails, timers) applies them once; one with outside effects (a webhook)
  gets the change again after a crash and must be idempotent.
- A failing subscriber is retried with back-off, then given up and shown to
  admins; it never blocks the write, other tickets, or other subscribers.
- ``stalled_ticket_ids`` is the beat job's question: changes whose task was
  lost (broker down at commit, worker killed) or whose retry is due.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from comptoir.core.backoff import retry_delay
from comptoir.events.models import DeliveryState, EventDelivery
from comptoir.events.registry import Subscriber, interested_in, subscriber_named

logger = logging.getLogger(__name__)

# 30 s doubling, capped at an hour: 12 attempts keep trying for about five hours.
MAX_ATTEMPTS = 12
# PostgreSQL's answer to FOR UPDATE NOWAIT on a row another worker holds.
LOCK_NOT_AVAILABLE = "55P03"
# A change whose task has not run after this long is handed on by the beat job.
STALLED_AFTER = timedelta(minutes=2)


def announce(*, ticket_id: int, change: UUID, kinds: Collection[str], announced: set[str]) -> None:
    """Owe ``change`` to each subscriber interested in ``kinds`` that is not in ``announced`` yet.

    Called in the writing transaction, once per recorded event; ``announced``
    is the change's own set of subscriber names, updated here.
    """
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction on_commit would hand the change over at once, before the
        # rest of it is recorded, and its later events would never be handed over.
        raise RuntimeError("a change is recorded inside the transaction of the write that makes it")
    owed = [subscriber for subscriber in interested_in(kinds) if subscriber.name not in announced]
    if not owed:
        return
    first = not announced
    EventDelivery.objects.bulk_create(
        EventDelivery(ticket_id=ticket_id, change=change, subscriber=subscriber.name) for subscriber in owed
    )
    announced.update(subscriber.name for subscriber in owed)
    if first:
        transaction.on_commit(partial(_hand_off, ticket_id))


def announce_many(changes: Collection[tuple[int, UUID, Collection[str]]]) -> None:
    """``announce`` for many new changes at once (a bulk action): one INSERT whatever their number.

    Each of ``changes`` is (ticket id, change, the kinds of its events), none announced before.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a change is recorded inside the transaction of the write that makes it")
    owed = [
        EventDelivery(ticket_id=ticket_id, change=change, subscriber=subscriber.name)
        for ticket_id, change, kinds in changes
        for subscriber in interested_in(kinds)
    ]
    if not owed:
        return
    EventDelivery.objects.bulk_create(owed)
    for ticket_id in dict.fromkeys(delivery.ticket_id for delivery in owed):
        transaction.on_commit(partial(_hand_off, ticket_id))


def deliveries_drop(ticket_id: int) -> int:
    """Forget what is still owed about a ticket that no longer exists (an admin deleted it)."""
    return EventDelivery.objects.filter(ticket_id=ticket_id).exclude(state=DeliveryState.DONE).delete()[0]


def _hand_off(ticket_id: int) -> None:
    from comptoir.events.tasks import dispatch_ticket_events

    try:
        dispatch_ticket_events.delay(ticket_id)
    except Exception:
        # The rows are safe in the database; the beat job hands them on.
        logger.exception("Could not enqueue the events of ticket %s; the periodic job will", ticket_id)


class Outcome(enum.Enum):
    DONE = "done"
    IDLE = "idle"  # nothing owed
    WAITING = "waiting"  # the oldest change waits for its retry
    FAILED = "failed"  # the oldest change failed now; it waits for its retry
    BUSY = "busy"  # another worker is handing this ticket's changes to this subscriber


@dataclass
class DispatchResult:
    done: int = 0
    failed: int = 0


def dispatch_ticket(ticket_id: int, *, now: datetime | None = None) -> DispatchResult:
    """Hand every change owed on the ticket to its subscribers, oldest first, each subscriber on its own."""
    result = DispatchResult()
    names = (
        EventDelivery.objects.filter(ticket_id=ticket_id, state=DeliveryState.PENDING)
        .values_list("subscriber", flat=True)
        .distinct()
    )
    for name in sorted(set(names)):
        while True:
            outcome = _run_next(name, ticket_id, now=now)
            if outcome is Outcome.DONE:
                result.done += 1
                continue
            if outcome is Outcome.FAILED:
                result.failed += 1
            break
    return result


def _run_next(name: str, ticket_id: int, *, now: datetime | None) -> Outcome:
    now = now or timezone.now()
    try:
        with transaction.atomic():
            # NOWAIT rather than SKIP LOCKED: skipping the locked oldest change would
            # hand the next one over first. The worker holding it goes on after it.
            delivery = (
                EventDelivery.objects.select_for_update(nowait=True)
                .filter(subscriber=name, ticket_id=ticket_id, state=DeliveryState.PENDING)
                .order_by("id")
                .first()
            )
            if delivery is None:
                return Outcome.IDLE
            if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
                return Outcome.WAITING
            subscriber = subscriber_named(name)
            if subscriber is None:
                _finish(delivery, DeliveryState.FAILED, now, error=f"no subscriber named {name!r} is registered")
                return Outcome.FAILED
            return _hand_over(subscriber, delivery, now)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            logger.info("Changes of ticket %s for %s are being handed over by another worker", ticket_id, name)
        else:
            # Not a lock: the database failed. The row stays owed; the beat job tries again.
            logger.warning("Could not hand over the changes of ticket %s to %s: %s", ticket_id, name, error)
        return Outcome.BUSY


def _hand_over(subscriber: Subscriber, delivery: EventDelivery, now: datetime) -> Outcome:
    try:
        with transaction.atomic():
            subscriber.handler(delivery.change)
    except Exception as error:
        delivery.attempts += 1
        detail = f"{type(error).__name__}: {error}"[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            logger.error("Subscriber %s gave up on change %s: %s", subscriber.name, delivery.change, detail)
            _finish(delivery, DeliveryState.FAILED, now, error=detail)
        else:
            logger.warning("Subscriber %s failed on change %s: %s", subscriber.name, delivery.change, detail)
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
            delivery.last_error = detail
            delivery.save(update_fields=["attempts", "next_attempt_at", "last_error"])
        return Outcome.FAILED
    delivery.attempts += 1
    _finish(delivery, DeliveryState.DONE, now)
    return Outcome.DONE


def _finish(delivery: EventDelivery, state: DeliveryState, now: datetime, *, error: str = "") -> None:
    delivery.state = state
    delivery.finished_at = now
    delivery.next_attempt_at = None
    if error:
        delivery.last_error = error
    delivery.save(update_fields=["state", "finished_at", "next_attempt_at", "last_error", "attempts"])


def stalled_ticket_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Tickets with a change owed whose task was lost, or whose retry is due."""
    now = now or timezone.now()
    never_tried = Q(next_attempt_at__isnull=True, created_at__lt=now - STALLED_AFTER)
    due = Q(next_attempt_at__lte=now)
    rows = EventDelivery.objects.filter(never_tried | due, state=DeliveryState.PENDING)
    return list(rows.order_by("ticket_id").values_list("ticket_id", flat=True).distinct()[:limit])


def deliveries_retry(deliveries: Collection[int]) -> int:
    """An admin's "try again": given-up or waiting changes are handed on now, attempts counted afresh."""
    rows = EventDelivery.objects.filter(pk__in=deliveries).exclude(state=DeliveryState.DONE)
    ticket_ids = set(rows.values_list("ticket_id", flat=True))
    count = rows.update(state=DeliveryState.PENDING, attempts=0, next_attempt_at=None, finished_at=None)
    for ticket_id in ticket_ids:
        transaction.on_commit(partial(_hand_off, ticket_id))
    return count
