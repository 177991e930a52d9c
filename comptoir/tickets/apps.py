from __future__ import annotations

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "comptoir.tickets"
    label = "tickets"

    def ready(self) -> None:
        # Registers the ticket e-mail builders with comptoir.mail.outbound.
        from comptoir.tickets import emails  # noqa: F401
