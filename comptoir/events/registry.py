"""Who listens: subscribers register at start-up (their AppConfig.ready) and are called by name.

The services never import a subscriber: adding one (SLA clocks, rules, webhooks,
report rollups) touches neither the services nor the dispatcher.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from uuid import UUID

# A subscriber receives one change: the id that groups the events one write
# recorded on one ticket, in order. It reads them from the domain's history.
Handler = Callable[[UUID], None]


@dataclass(frozen=True)
class Subscriber:
    name: str
    handler: Handler
    # The event kinds it cares about; a change with none of them costs it nothing.
    kinds: frozenset[str]


_SUBSCRIBERS: dict[str, Subscriber] = {}


def subscribe(name: str, *, kinds: Iterable[str]) -> Callable[[Handler], Handler]:
    """Register ``handler`` under ``name``; the name is stored with every delivery, so keep it stable."""

    def register(handler: Handler) -> Handler:
        if name in _SUBSCRIBERS and _SUBSCRIBERS[name].handler is not handler:
            raise ValueError(f"a subscriber named {name!r} is already registered")
        _SUBSCRIBERS[name] = Subscriber(name=name, handler=handler, kinds=frozenset(kinds))
        return handler

    return register


def unsubscribe(name: str) -> None:
    _SUBSCRIBERS.pop(name, None)


def interested_in(kinds: Iterable[str]) -> list[Subscriber]:
    wanted = set(kinds)
    return [subscriber for subscriber in _SUBSCRIBERS.values() if subscriber.kinds & wanted]


def subscriber_named(name: str) -> Subscriber | None:
    return _SUBSCRIBERS.get(name)
