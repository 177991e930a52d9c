"""The ticket e-mails, as a subscriber of the event backbone: one change in, its e-mails queued."""

from __future__ import annotations

from uuid import UUID

from comptoir.accounts.mailing import person_email_queue
from comptoir.events.registry import subscribe
from comptoir.notifications.rules import NOTIFYING_KINDS, notices_for
from comptoir.tickets.history import change_events


@subscribe("notifications", kinds=NOTIFYING_KINDS)
def notify(change: UUID) -> None:
    # The dispatcher runs this in the transaction that marks the change done,
    # so a retry after a crash queues nothing twice.
    events = change_events(change)
    for notice in notices_for(events):
        person_email_queue(
            kind=notice.kind,
            to=notice.to,
            language=notice.language,
            ticket_id=events[0].ticket_id,
            message_id=notice.message.pk if notice.message is not None else None,
        )
