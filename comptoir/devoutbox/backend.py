from __future__ import annotations

from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from comptoir.devoutbox.models import CapturedEmail


class OutboxBackend(BaseEmailBackend):
    """Keeps every outgoing e-mail in the database for /dev/outbox/ instead of sending it."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            raw = message.message().as_bytes(linesep="\r\n")
            CapturedEmail.objects.create(
                subject=message.subject[:998],
                from_address=message.from_email,
                to_addresses=", ".join(message.recipients()),
                raw=raw,
            )
        return len(email_messages)
