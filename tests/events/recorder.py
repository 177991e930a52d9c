"""A subscriber that writes down every change it is handed, for the backbone's tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from comptoir.events.registry import subscribe, unsubscribe
from comptoir.tickets.history import change_events
from comptoir.tickets.models import EventKind

NAME = "test-recorder"


class Recorder:
    def __init__(self) -> None:
        self.changes: list[UUID] = []
        # (ticket id, kind, new value) of every event handed over, in the order received.
        self.events: list[tuple[int, str, str]] = []
        self.event_ids: list[int] = []
        self.fail_next = 0
        self._lock = threading.Lock()

    def __call__(self, change: UUID) -> None:
        with self._lock:
            if self.fail_next:
                self.fail_next -= 1
                raise RuntimeError("the recorder was told to fail")
            self.changes.append(change)
            events = change_events(change)
            self.events.extend((e.ticket_id, e.kind, e.new_value) for e in events)
            self.event_ids.extend(e.pk for e in events)

    def kinds(self, ticket_id: int) -> list[str]:
        return [kind for ticket, kind, _ in self.events if ticket == ticket_id]


@contextmanager
def recording(kinds: frozenset[str] = frozenset(EventKind.values)) -> Iterator[Recorder]:
    recorder = Recorder()
    subscribe(NAME, kinds=kinds)(recorder)
    try:
        yield recorder
    finally:
        unsubscribe(NAME)
