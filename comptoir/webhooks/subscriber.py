"""Outgoing webhooks as a subscriber of the event backbone: a change in, deliveries owed out.

The dispatcher runs this in the transaction that marks the change handed over,
so the delivery rows are written once; they are sent by Celery after commit
(comptoir.webhooks.services), never in the write's request.
"""

from __future__ import annotations

from uuid import UUID

from comptoir.events.registry import subscribe
from comptoir.tickets.history import change_events
from comptoir.webhooks.events import WEBHOOK_KINDS
from comptoir.webhooks.services import deliveries_owe_change


@subscribe("webhooks", kinds=WEBHOOK_KINDS)
def webhooks_owe(change: UUID) -> None:
    events = change_events(change)
    if events:
        deliveries_owe_change(events)
